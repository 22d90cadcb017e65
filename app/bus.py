"""In-process publish/subscribe of typed events, one bounded queue per subscriber.

Topics: one per call (:func:`call_topic`) carrying everything about that call,
and :data:`SUPERVISOR` carrying lifecycle, context, cue and alert events of all
calls (:data:`app.events.SUPERVISOR_EVENTS`). :meth:`Bus.publish` routes an
event to its topics by type; :meth:`Bus.publish_to` sends to one topic.

Back-pressure, so a slow browser never slows the pipeline:

* ``publish`` never blocks and never awaits: it appends to each subscriber's
  queue and wakes it.
* A newer partial of the same utterance replaces the queued one in place
  (coalescing); a final removes its queued partials.
* When a queue is full, the oldest queued partial is dropped; if there is none
  and the new event is a partial, the new partial is dropped.
* Finals, cues, context, alerts and lifecycle events are never dropped. If a
  subscriber falls so far behind that even those pile past ``hard_limit``, it
  is cut off: its iterator raises :class:`SubscriberLagged`, so the consumer
  (a browser websocket) can close and let the page reload from the store,
  instead of silently missing a final.

Usage::

    async with bus.subscribe(call_topic(call_id)) as sub:
        async for event in sub:
            ...

Single event loop only: publish and consume from the loop that owns the bus.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from app.events import (
    SUPERVISOR_EVENTS,
    Event,
    ResetTaken,
    UtteranceEvent,
    is_droppable,
)

log = logging.getLogger("heard.bus")

SUPERVISOR = "supervisor"
DEFAULT_MAXSIZE = 256
#: Kept events beyond ``maxsize`` a subscriber may accumulate before it is cut off.
DEFAULT_HARD_FACTOR = 8


def call_topic(call_id: str) -> str:
    return f"call:{call_id}"


class SubscriberLagged(Exception):
    """The subscriber fell too far behind to be served without dropping kept events."""


@dataclass(slots=True)
class SubscriberStats:
    delivered: int = 0
    dropped_partials: int = 0
    coalesced_partials: int = 0


class Subscription:
    """One subscriber's bounded queue on one topic. Iterate it with ``async for``."""

    def __init__(self, bus: Bus, topic: str, maxsize: int, hard_limit: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1")
        self.bus = bus
        self.topic = topic
        self.maxsize = maxsize
        self.hard_limit = max(hard_limit, maxsize)
        self.stats = SubscriberStats()
        self._queue: deque[Event] = deque()
        self._wakeup = asyncio.Event()
        self._closed = False
        self._lagged = False

    # -- producer side (called by Bus.publish, never blocks) -------------------

    def _offer(self, event: Event) -> None:
        if self._closed:
            return
        q = self._queue
        if isinstance(event, UtteranceEvent):
            self._coalesce(event)
            if not event.final and self._replaced_in_place(event):
                self._wakeup.set()
                return
        if len(q) >= self.maxsize and not self._drop_oldest_partial():
            if is_droppable(event):
                self.stats.dropped_partials += 1
                return
            if len(q) >= self.hard_limit:
                # Never drop a kept event silently: cut the subscriber off instead.
                self._lagged = True
                self._closed = True
                q.clear()
                self._wakeup.set()
                self.bus._remove(self)
                log.warning(
                    "subscriber cut off",
                    extra={"topic": self.topic, "queued": self.hard_limit},
                )
                return
        q.append(event)
        self._wakeup.set()

    def _coalesce(self, event: UtteranceEvent) -> None:
        """A final supersedes queued partials of the same utterance."""
        if not event.final:
            return
        uid = event.utterance.id
        stale = [
            e
            for e in self._queue
            if isinstance(e, UtteranceEvent) and not e.final and e.utterance.id == uid
        ]
        for e in stale:
            self._queue.remove(e)
            self.stats.coalesced_partials += 1

    def _replaced_in_place(self, event: UtteranceEvent) -> bool:
        """Put a newer partial where the queued partial of the same utterance was."""
        uid = event.utterance.id
        for i, e in enumerate(self._queue):
            if isinstance(e, UtteranceEvent) and not e.final and e.utterance.id == uid:
                self._queue[i] = event
                self.stats.coalesced_partials += 1
                return True
        return False

    def _drop_oldest_partial(self) -> bool:
        for e in self._queue:
            if is_droppable(e):
                self._queue.remove(e)
                self.stats.dropped_partials += 1
                return True
        return False

    # -- consumer side ---------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def lagged(self) -> bool:
        return self._lagged

    async def get(self) -> Event:
        """The next event; raises :class:`SubscriberLagged` or ``StopAsyncIteration``."""
        while True:
            if self._queue:
                self.stats.delivered += 1
                return self._queue.popleft()
            if self._lagged:
                raise SubscriberLagged(self.topic)
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    def get_nowait(self) -> Event | None:
        if self._queue:
            self.stats.delivered += 1
            return self._queue.popleft()
        if self._lagged:
            raise SubscriberLagged(self.topic)
        return None

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self.get()

    def close(self) -> None:
        """Stop receiving; pending events may still be read, then iteration ends."""
        if not self._closed:
            self._closed = True
            self._wakeup.set()
        self.bus._remove(self)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class Bus:
    """Topic-based fan-out to bounded per-subscriber queues."""

    def __init__(
        self, maxsize: int = DEFAULT_MAXSIZE, hard_factor: int = DEFAULT_HARD_FACTOR
    ) -> None:
        self.maxsize = maxsize
        self.hard_factor = hard_factor
        self._subs: dict[str, list[Subscription]] = {}
        self.published = 0

    def subscribe(self, topic: str, maxsize: int | None = None) -> Subscription:
        """A new subscription (use as ``async with``, or call ``close()``)."""
        size = maxsize or self.maxsize
        sub = Subscription(self, topic, size, size * self.hard_factor)
        self._subs.setdefault(topic, []).append(sub)
        return sub

    @contextmanager
    def subscribed(self, topic: str, maxsize: int | None = None) -> Iterator[Subscription]:
        sub = self.subscribe(topic, maxsize)
        try:
            yield sub
        finally:
            sub.close()

    def _remove(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.topic)
        if subs and sub in subs:
            subs.remove(sub)
            if not subs:
                del self._subs[sub.topic]

    def subscriber_count(self, topic: str | None = None) -> int:
        if topic is None:
            return sum(len(s) for s in self._subs.values())
        return len(self._subs.get(topic, ()))

    def publish_to(self, topic: str, event: Event) -> None:
        for sub in tuple(self._subs.get(topic, ())):
            sub._offer(event)

    def publish(self, event: Event) -> None:
        """Route ``event`` to its call's topic and, by type, to :data:`SUPERVISOR`."""
        self.published += 1
        for topic in topics_for(event):
            self.publish_to(topic, event)

    def close(self) -> None:
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.close()


def topics_for(event: Event) -> tuple[str, ...]:
    """The topics an event goes to (pure; the routing table of the bus)."""
    topics: list[str] = []
    if not isinstance(event, ResetTaken):
        topics.append(call_topic(event.call_id))
    if isinstance(event, SUPERVISOR_EVENTS):
        topics.append(SUPERVISOR)
    return tuple(topics)
