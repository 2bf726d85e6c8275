"""Command palette entries ("group: action"), from the same registry as the bindings."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .keys import ACTIONS, key_label


class WarroomCommands(Provider):
    def _entries(self):
        for action in ACTIONS:
            name = f"{action.group}: {action.help}"
            yield name, self.app.key_for(action.id), partial(self.app.run_action, action.id)
        for book in getattr(self.app, "runbooks", {}).values():
            yield f"runbook: {book.title}", book.key, partial(self.app.run_action, f"runbook('{book.id}')")

    async def discover(self) -> Hits:
        for name, key, run in self._entries():
            yield DiscoveryHit(name, run, help=f"key {key_label(key)}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, key, run in self._entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=f"key {key_label(key)}")
