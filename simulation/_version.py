"""The installed package's version, for records that say which code produced them."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rtsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
