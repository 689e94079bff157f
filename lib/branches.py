"""PURE: a chat's turns as a tree: versions of a turn side by side, and the path chosen through them."""

from __future__ import annotations

from dataclasses import dataclass, field

from lib.conversations import Thread
from lib.stream import Turn


@dataclass
class Node:
    """One turn in the tree, the turn before it on its path, and the server thread that holds both."""

    turn: Turn
    parent: str | None  # the id of the turn before it; None for a first turn
    conversation_id: str | None  # the conversation holding this turn and every turn before it (None: a chain)


@dataclass
class Tree:
    """Every version of every turn of one chat; the transcript is the path chosen from the root down."""

    nodes: dict[str, Node] = field(default_factory=dict)
    children: dict[str | None, list[str]] = field(default_factory=dict)  # versions, oldest first
    chosen: dict[str | None, str] = field(default_factory=dict)  # the version on the path, per parent
    source: list[Turn] | None = field(default=None, compare=False)  # the transcript list this tree follows

    def learn(self, transcript: list[Turn], conversation_id: str | None) -> None:
        """Take in the transcript: turns not seen yet follow the one before them; the transcript is the path.

        A transcript list the tree did not make or follow (New chat, a chat reopened from its URL) starts a
        new tree: versions belong to one chat only.
        """
        if transcript is not self.source:
            self.nodes.clear()
            self.children.clear()
            self.chosen.clear()
            self.source = transcript
        parent: str | None = None
        for turn in transcript:
            if turn.id not in self.nodes:
                self.nodes[turn.id] = Node(turn, parent, conversation_id)
                self.children.setdefault(parent, []).append(turn.id)
            self.chosen[parent] = turn.id
            parent = turn.id

    def path(self) -> list[Turn]:
        """The chosen turns from the first down, following each turn's chosen version."""
        turns: list[Turn] = []
        parent: str | None = None
        while (chosen := self.chosen.get(parent)) is not None:
            turns.append(self.nodes[chosen].turn)
            parent = chosen
        return turns

    def versions(self, turn_id: str) -> tuple[int, int]:
        """This turn's place among its versions, and how many there are: (1, 2) reads "1/2"."""
        siblings = self.children.get(self.nodes[turn_id].parent, [turn_id])
        return siblings.index(turn_id) + 1, len(siblings)

    def switch(self, turn_id: str, step: int) -> list[Turn]:
        """Choose the version `step` away from this turn's (clamped); the new path, which follows it down."""
        parent = self.nodes[turn_id].parent
        siblings = self.children[parent]
        index = min(max(siblings.index(turn_id) + step, 0), len(siblings) - 1)
        self.chosen[parent] = siblings[index]
        self.source = self.path()
        return self.source

    def branch_at(self, turn_id: str) -> list[Turn]:
        """The path up to (not including) this turn: a new version of it is about to be added."""
        path = self.path()
        cut = next(n for n, turn in enumerate(path) if turn.id == turn_id)
        self.source = path[:cut]
        return self.source

    def restore(self) -> list[Turn]:
        """The chosen path again, after a branch was begun (`branch_at`) but its turn never sent."""
        self.source = self.path()
        return self.source

    def thread(self, path: list[Turn]) -> Thread:
        """The server thread a path ends in: where its next turn goes."""
        if not path:
            return Thread()
        last = self.nodes[path[-1].id]
        if last.conversation_id:
            return Thread(conversation_id=last.conversation_id)
        # A turn that failed before any response continues from the last one that has one.
        answered = next((turn.response_id for turn in reversed(path) if turn.response_id), None)
        return Thread(last_response_id=answered, chained=True)

    def conversation_of(self, turn_id: str) -> str | None:
        """The conversation holding this turn and the turns before it (None in a chain)."""
        node = self.nodes.get(turn_id)
        return node.conversation_id if node else None

    def conversations(self) -> set[str]:
        """Every conversation this tree's turns live in (the ones this session opened or made)."""
        return {n.conversation_id for n in self.nodes.values() if n.conversation_id}
