"""Celery task messages as kombu's Redis transport stores them: built by Celery, or filled in from a template.

``send_many`` pushes the receiver's tasks onto the queue's Redis list itself. Building each
message the way ``send_task`` does (``create_task_message``, kombu's serialiser, two UUIDs, the
envelope's JSON) cost the receiver about 30 µs a message on a 2-core machine, as much as the
rest of the group commit's Python around it. A message differs from the next only in its task
id (also its ``root_id`` and ``correlation_id``), kombu's ``delivery_tag``, its args and their
repr, so ``MessageTemplate`` asks Celery and kombu for one message per task name, with markers
where those go, and fills the markers in with string joins. tests/test_queue.py checks that the
result equals Celery's own message apart from the ids and that a real worker runs and acks it.
"""

from __future__ import annotations

import base64
import json
import os
import re

from celery import Celery
from kombu import serialization
from kombu.utils.uuid import uuid

# The args whose JSON the standard library writes exactly as kombu's serialiser does (kombu only
# adds handlers for other types); anything else goes through Celery's own path.
PLAIN_ARGS = (int, str, float, bool, type(None))
# Markers stand where per-message values go; each is JSON-safe and cannot occur in Celery's headers.
_MARK = "@@tact-{}@@"
_SLOT = re.compile(r'"@@tact-(\w+)@@"')


def redis_envelope(headers: dict, properties: dict, body, queue: str, delivery_tag: str | None = None) -> str:
    """A Celery message as kombu's Redis transport stores it in the queue's list (kombu 5).

    The body serialised by kombu's own json serialiser and base64-encoded; properties carry the
    delivery details kombu's virtual transport adds (delivery_info, a delivery_tag); priority 0
    and persistent delivery, as ``send_task`` gives the default queue. tests/test_queue.py checks
    this against what kombu itself pushes, and a real worker runs what it sends.
    """
    if isinstance(body, str):  # already base64 (a template's marker)
        encoded = body
    else:
        _, _, data = serialization.dumps(body, serializer="json")
        encoded = base64.b64encode(data.encode() if isinstance(data, str) else data).decode()
    return json.dumps({
        "body": encoded,
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": headers,
        "properties": properties | {
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": delivery_tag or uuid(),
        },
    })


def celery_message(celery: Celery, name: str, args: list, queue: str) -> tuple[dict, dict, tuple]:
    """Celery's own headers, properties and body for ``send_task(name, args, ignore_result=True)``.

    ``argsrepr`` is given as ``repr(args)``: Celery would compute it with saferepr, which costs
    more and gives the same text for the receiver's lists of ids.
    """
    headers, properties, body, _ = celery.amqp.create_task_message(
        uuid(), name, args, {}, ignore_result=True, argsrepr=repr(args), kwargsrepr="{}")
    return headers, properties, body


class MessageTemplate:
    """One task name's message with markers for its per-message values, built by Celery and kombu.

    Built in the process that sends: Celery's ``origin`` header names the process id, so a template
    built before a fork (``pid``) is not used after it.
    """

    def __init__(self, celery: Celery, name: str, queue: str):
        self.pid = os.getpid()
        headers, properties, body = celery_message(celery, name, [_MARK.format("args")], queue)
        mark = _MARK.format("id")
        headers |= {"id": mark, "root_id": mark, "argsrepr": _MARK.format("argsrepr")}
        properties |= {"correlation_id": mark}
        # The body's JSON as kombu writes it, split where the args list goes.
        _, _, data = serialization.dumps(body, serializer="json")
        self._body_head, self._body_tail = data.split(json.dumps([_MARK.format("args")]))
        envelope = redis_envelope(headers, properties, _MARK.format("body"), queue, _MARK.format("tag"))
        # One %-format string: the envelope's text with its own % doubled and each marker a named field.
        self._format = _SLOT.sub(lambda m: f"%({m[1]})s", envelope.replace("%", "%%"))

    def fits(self, args: list) -> bool:
        """Whether this template writes ``args`` exactly as Celery would (a list of plain JSON values)."""
        return isinstance(args, list) and all(type(a) in PLAIN_ARGS for a in args)

    def render(self, args: list, task_id: str, delivery_tag: str) -> str:
        """The envelope ``redis_envelope`` would write for Celery's message of ``args``, with these ids."""
        if all(type(a) is int for a in args):  # the receiver's [delivery_id]: its repr is its JSON
            args_json = repr(args)
            argsrepr = f'"{args_json}"'
        else:
            args_json, argsrepr = json.dumps(args), json.dumps(repr(args))
        body = f"{self._body_head}{args_json}{self._body_tail}"
        return self._format % {
            "id": f'"{task_id}"',
            "argsrepr": argsrepr,
            "body": f'"{base64.b64encode(body.encode()).decode()}"',
            "tag": f'"{delivery_tag}"',
        }


def uuid4s(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs in their usual text form, from one read of the system's random source.

    kombu's ``uuid()`` is ``str(uuid.uuid4())``: a read and a ``UUID`` object each, about 5 µs; this
    is a few string slices. RFC 4122: the version digit is 4, and the variant digit's two high bits
    are 10 (8, 9, a or b), as ``uuid.UUID(version=4)`` sets them.
    """
    h = os.urandom(16 * count).hex()
    return [f"{h[i:i + 8]}-{h[i + 8:i + 12]}-4{h[i + 13:i + 16]}-{_VARIANT[h[i + 16]]}{h[i + 17:i + 20]}-"
            f"{h[i + 20:i + 32]}" for i in range(0, 32 * count, 32)]


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
