"""Every job goes to a queue in QUEUES, which the worker listens to (test_conventions checks
that half): a job on a queue nobody serves would wait forever without an error anywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

from portal.clients import job_queue as queue_module
from portal.clients.job_queue import QUEUES

ROOT = Path(__file__).resolve().parents[2]
#: Function name: position of the queue argument.
ENQUEUERS = {"after_commit": 1, "after_commit_batched": 1, "dispatch": 0}


def _queue_arguments() -> list[tuple[str, ast.expr]]:
    found = []
    for package in ("portal", "admin"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == Path(queue_module.__file__):
                continue  # the plumbing itself passes queue names through
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in ENQUEUERS and len(node.args) > ENQUEUERS[name]:
                    found.append(
                        (f"{path.relative_to(ROOT)}:{node.lineno}", node.args[ENQUEUERS[name]])
                    )
    return found


def test_every_job_is_enqueued_on_a_queue_with_a_worker():
    calls = _queue_arguments()
    files = {where.partition(":")[0] for where, _ in calls}
    assert {"portal/services/outbound/notifications.py", "portal/jobs/periodic.py"} <= files
    for where, argument in calls:
        assert isinstance(argument, ast.Name), f"{where}: name the queue with a constant"
        value = getattr(queue_module, argument.id, None)
        assert value in QUEUES, f"{where}: {argument.id} is not one of QUEUES"
