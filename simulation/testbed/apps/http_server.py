"""An aiohttp server on 127.0.0.1 (port chosen by the OS) that counts requests and the
size of every request and response head it handles."""

from __future__ import annotations

from aiohttp import web

from ..measurements import Measurements, header_block_bytes

__all__ = ["AiohttpApp", "HttpServer", "response_head_bytes"]

_SHUTDOWN_S = 0.5  # at the end of a run, held requests and streams are simply cut


def request_head_bytes(request: web.BaseRequest) -> int:
    version = request.version
    start = f"{request.method} {request.raw_path} HTTP/{version.major}.{version.minor}"
    return header_block_bytes(start, request.raw_headers)


def response_head_bytes(request: web.BaseRequest, response: web.StreamResponse) -> int:
    """Bytes of ``response``'s head; aiohttp has made it final (Date, Server, lengths)
    when it signals ``on_response_prepare``."""
    version = request.version
    start = f"HTTP/{version.major}.{version.minor} {response.status} {response.reason}"
    return header_block_bytes(start, response.headers.items())


class HttpServer:
    """Runs ``app`` (made by :meth:`application`) until :meth:`stop`."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.port = 0
        self._runner: web.AppRunner | None = None

    @staticmethod
    def application(measurements: Measurements) -> web.Application:
        @web.middleware
        async def measure(request, handler):
            measurements.requests += 1
            head = request_head_bytes(request)
            if request.headers.get("Upgrade", "").lower() == "websocket":
                measurements.upgrade_request_header_bytes.append(head)
            else:
                measurements.request_header_bytes.append(head)
            return await handler(request)

        async def measure_response(request, response) -> None:
            head = response_head_bytes(request, response)
            if response.status == 101:
                measurements.upgrade_response_header_bytes.append(head)
            else:
                measurements.response_header_bytes.append(head)

        app = web.Application(middlewares=[measure])
        app.on_response_prepare.append(measure_response)
        return app

    async def start(self) -> int:
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            handle_signals=False,
            handler_cancellation=True,  # a held request ends when its client goes
            shutdown_timeout=_SHUTDOWN_S,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class AiohttpApp:
    """Base of the apps served by aiohttp: one GET route, ``path``, handled by
    :meth:`handle`; subclasses read their strategy keys in :meth:`configure`."""

    path = "/"

    def __init__(self, testbed, params: dict) -> None:
        self.testbed = testbed
        self.configure(params)
        app = HttpServer.application(testbed.measurements)
        app.router.add_get(self.path, self.handle)
        self.server = HttpServer(app)

    def configure(self, params: dict) -> None:
        """Read the strategy keys this app understands."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    async def start_server(self) -> int:
        return await self.server.start()

    async def stop_server(self) -> None:
        await self.server.stop()
