"""The recorder's packed rows read back exactly what was written."""

import math

import numpy as np
import pytest

from simulation.messages import DOWN, UP, Message, Update
from simulation.recorder import PackedRows, Recorder


def test_packed_rows_round_trip_every_value_and_type():
    table = PackedRows((("flag", "b"), ("count", "i"), ("id", "q"), ("at", "d")))
    assert table.row_bytes == 1 + 4 + 8 + 8 and len(table) == 0
    assert all(len(column) == 0 for column in table.columns().values())
    rows = [(-1, 7, 2**53, 0.1), (3, -(2**31), -5, math.nan), (0, 0, 2**62, -1e300)]
    for row in rows:
        table.rows += table.pack(*row)
    columns = table.columns()
    assert len(table) == 3 and len(table.rows) == 3 * table.row_bytes
    assert columns["flag"].dtype == columns["id"].dtype == np.int64
    assert columns["at"].dtype == np.float64
    assert columns["id"].tolist() == [2**53, -5, 2**62]  # exact beyond a double's 53 bits
    assert columns["count"].tolist() == [7, -(2**31), 0]
    np.testing.assert_array_equal(columns["at"], [0.1, math.nan, -1e300])


def test_packed_rows_refuse_a_value_that_does_not_fit():
    table = PackedRows((("flag", "b"),))
    with pytest.raises(Exception, match="format requires"):
        table.pack(300)


def test_recorder_tables_read_back_messages_and_deliveries():
    recorder = Recorder()
    update = Update(4, 1.5, 200, None)
    recorder.update(update, audience=10)
    down = Message(2, DOWN, "data", 200, 14, updates=(update,), response=True)
    down.sent_at = 2.0
    recorder.transfer(down, 2.25, 2.5, lost=False, dropped=False)
    up = Message(2, UP, "ping", 0, 6, request=True)
    up.sent_at = 3.0
    recorder.transfer(up, 3.0, None, lost=True, dropped=True)
    recorder.deliveries_of(down, down.updates, 2.75)
    assert (down.id, up.id) == (0, 1)
    frames = recorder.dataframes(end_s=10.0)
    t = frames["transfers"]
    assert t["message_id"].tolist() == [0, 1]
    assert t["kind"].tolist() == ["data", "ping"] and t["direction"].tolist() == ["down", "up"]
    assert t["response"].tolist() == [True, False] and t["request"].tolist() == [False, True]
    assert t["lost"].tolist() == [False, True] and t["dropped"].tolist() == [False, True]
    assert t["started_at"].tolist() == [2.25, 3.0] and t["received_at"].iloc[0] == 2.5
    assert math.isnan(t["received_at"].iloc[1]) and not t["in_flight"].any()
    assert t["overhead_bytes"].tolist() == [14, 6] and t["updates"].tolist() == [1, 0]
    d = frames["deliveries"]
    assert d[["update_id", "client", "message_id"]].values.tolist() == [[4, 2, 0]]
    assert d["latency_s"].tolist() == [2.75 - 1.5]
    u = frames["updates"]
    assert u["target"].tolist() == [-1] and u["audience"].tolist() == [10]
