"""The SQLite writer gate: writers of every thread and process queue in line."""

import threading

import pytest

from healthwise.database import WriterGate, hold_writer_gate
from healthwise.extensions import db


def test_gate_lets_one_writer_in_at_a_time(tmp_path):
    gate, other = WriterGate(tmp_path / "a.lock"), WriterGate(tmp_path / "a.lock")
    gate.acquire()
    entered = threading.Event()

    def second_process():  # another WriterGate on the same file stands for another worker
        other.acquire()
        entered.set()
        other.release()

    thread = threading.Thread(target=second_process, daemon=True)
    thread.start()
    assert not entered.wait(0.3)
    gate.release()
    assert entered.wait(5)
    thread.join(5)


def test_gate_is_reentrant_within_a_thread_and_release_is_idempotent(tmp_path):
    gate = WriterGate(tmp_path / "b.lock")
    gate.acquire()
    gate.acquire()  # a second sync step in the same transaction does not deadlock
    gate.release()
    gate.release()
    gate.acquire()
    gate.release()


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_ending_the_transaction_opens_the_gate(app, end):
    gate = app.extensions.get("writer_gate")
    if gate is None:
        pytest.skip("SQLite files only")
    with app.app_context():
        hold_writer_gate()
        getattr(db.session, end)()
    entered = threading.Event()

    def other_thread():
        gate.acquire()
        entered.set()
        gate.release()

    thread = threading.Thread(target=other_thread, daemon=True)
    thread.start()
    assert entered.wait(5)
    thread.join(5)
