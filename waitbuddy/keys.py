"""Every key binding of the app, by id, without importing Textual.

The TUI builds its ``Binding`` objects from this table, the config validates ``[keymap]``
against it, and ``waitbuddy keys`` prints it, so the three never disagree.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class KeySpec:
    id: str
    keys: str  # Textual key string; several keys separated by commas
    action: str
    description: str
    label: str = ""  # short label for the footer
    show: bool = True  # in the footer (only where there is a label)
    scope: str = "app"  # "app" (everywhere), "dashboard" (the main screen), "help", or an area or screen
    priority: bool = False


APP_KEYS: tuple[KeySpec, ...] = (
    KeySpec("quit", "q", "quit", "Quit waitbuddy", "Quit"),
    KeySpec("help", "?,f1", "help", "Show every key binding", "Help"),
    KeySpec("command-palette", "ctrl+p", "command_palette", "Open the command palette", "palette", show=False, priority=True),
    KeySpec("area-runs", "1", "show_area('runs')", "Go to Runs", scope="dashboard"),
    KeySpec("area-backlog", "2", "show_area('backlog')", "Go to Backlog", scope="dashboard"),
    KeySpec("area-feeds", "3", "show_area('feeds')", "Go to Feeds", scope="dashboard"),
    KeySpec("area-practice", "4", "show_area('practice')", "Go to Practice", scope="dashboard"),
    KeySpec("area-checklists", "5", "show_area('checklists')", "Go to Checklists", scope="dashboard"),
    KeySpec("next-tab", "]", "cycle_tab(1)", "Next of Backlog, Feeds, Practice, Checklists", scope="dashboard"),
    KeySpec("previous-tab", "[", "cycle_tab(-1)", "Previous of Backlog, Feeds, Practice, Checklists", scope="dashboard"),
    KeySpec("zoom", "z", "zoom", "Zoom the focused area to full screen, again to restore", "Zoom", scope="dashboard"),
    KeySpec("plan-focus", "p", "focus_plan", "Go to the plan strip: what fits in the minutes the run leaves", "Plan",
            show=False, scope="dashboard"),  # the strip names its key itself; the footer is full at 80 columns
    KeySpec("plan-timer", "t", "set_timer", "I have N minutes: plan for that instead of the run's ETA (0 clears)",
            "Timer", show=False, scope="dashboard"),
    KeySpec("standup", "U", "show_standup", "The daily update: runs, reading, practice, checklists and what is next",
            scope="dashboard"),
    KeySpec("close-help", "escape,q,?,f1", "dismiss", "Close the help screen", "Close", scope="help"),
    KeySpec("open-run", "enter", "open_run", "Open the selected run: its state, metric chart and live log", "Open",
            scope="runs"),
    KeySpec("add-watch", "a", "add_watch", "Watch a log, directory or glob", "Watch", scope="runs"),
    KeySpec("remove-run", "x,delete", "remove_run", "Remove the selected run from the dashboard (history keeps it)",
            "Remove", scope="runs"),
    KeySpec("unwatch-run", "X", "unwatch_run", "Stop watching the path, directory or glob that found the selected run",
            scope="runs"),
    KeySpec("rename-run", "r", "rename_run", "Rename the selected run", scope="runs"),
    KeySpec("mute-run", "m", "mute_run", "Mute or unmute alerts for the selected run", "Mute", scope="runs"),
    KeySpec("note-run", "n", "note_run", "Add a note to the selected run: what it answers, what was learned, what is next",
            "Note", scope="runs"),
    KeySpec("open-item", "o", "open_item", "Open the item's link (in a browser, or as a link to click or copy)",
            "Open", scope="backlog"),
    KeySpec("copy-link", "y", "copy_link", "Copy the item's link to the clipboard (OSC 52, works over SSH)",
            scope="backlog"),
    KeySpec("add-item", "a", "add_item", "Save a link to the backlog", "Add", scope="backlog"),
    KeySpec("mark-done", "d", "set_status('done')", "Mark the item read (done)", "Done", scope="backlog"),
    KeySpec("mark-reading", "r", "set_status('reading')", "Mark the item as being read", scope="backlog"),
    KeySpec("mark-unread", "m", "set_status('unread')", "Mark the item unread", scope="backlog"),
    KeySpec("archive-item", "e", "set_status('archived')", "Archive the item", "Archive", show=False,
            scope="backlog"),
    KeySpec("snooze-item", "s", "snooze", "Snooze the item: a day, a week or until a date", "Snooze",
            show=False, scope="backlog"),
    KeySpec("priority-up", "+,=", "priority(1)", "Raise the item's priority", scope="backlog"),
    KeySpec("priority-down", "-", "priority(-1)", "Lower the item's priority", scope="backlog"),
    KeySpec("tag-item", "T", "edit_tags", "Edit the item's tags", "Tags", show=False, scope="backlog"),
    KeySpec("note-item", "n", "edit_note", "Edit the item's note", scope="backlog"),
    KeySpec("kind-item", "K", "edit_kind", "Change the item's kind (article, paper, video, repo, docs)",
            scope="backlog"),
    KeySpec("delete-item", "x,delete", "delete_item", "Delete the item", scope="backlog"),
    KeySpec("undo", "u", "undo", "Undo the last change to the backlog", "Undo", scope="backlog"),
    KeySpec("filter-items", "/", "filter", "Filter: words, tag:T, kind:K, status:S, fits:MIN, age:>DAYS",
            "Filter", scope="backlog"),
    KeySpec("clear-filter", "escape", "clear_filter", "Clear the filter", show=False, scope="backlog"),
    KeySpec("sort-items", "S", "cycle_sort", "Sort by resurface, priority, oldest, newest, shortest", "Sort",
            show=False, scope="backlog"),
    KeySpec("reshuffle", "R", "reshuffle", "Resurface a new mix of items", scope="backlog"),
    KeySpec("fits-wait", "f", "fits_wait", "Only items that fit in the time left on the current run",
            scope="backlog"),
    KeySpec("view-status", "v", "cycle_view", "Show unread, done, archived or every item", scope="backlog"),
    KeySpec("import-file", "I", "import_file", "Import a bookmark file", scope="backlog"),
    KeySpec("bankruptcy", "B", "bankruptcy", "Declare bankruptcy: archive every unread item older than N days",
            scope="backlog"),
    KeySpec("feeds-open", "o", "open_entry", "Open the entry's link (in a browser, or as a link to click or copy)",
            "Open", scope="feeds"),
    KeySpec("feeds-copy-link", "y", "copy_link", "Copy the entry's link to the clipboard (OSC 52, works over SSH)",
            scope="feeds"),
    KeySpec("feeds-read", "m", "toggle_read", "Mark the entry read, or unread again", "Read", scope="feeds"),
    KeySpec("feeds-save", "b", "to_backlog", "Save the entry to the reading backlog (the abstract as its note)",
            "Save", scope="feeds"),
    KeySpec("feeds-dismiss", "d", "dismiss", "Dismiss the entry (it ranks what is like it lower)", "Hide",
            scope="feeds"),
    KeySpec("feeds-read-all", "M", "read_all", "Mark every unread entry in view read (confirmed, undoable)",
            scope="feeds"),
    KeySpec("feeds-undo", "u", "undo", "Undo the last change to the feeds", "Undo", show=False, scope="feeds"),
    KeySpec("feeds-refresh", "R,ctrl+r", "refresh_now", "Refresh every feed now", "Refresh", show=False,
            scope="feeds"),
    KeySpec("feeds-filter", "/", "filter", "Filter: words, source:NAME, tag:T, cat:C, is:unread, is:saved",
            "Filter", scope="feeds"),
    KeySpec("feeds-unfilter", "escape", "clear_filter", "Clear the filter", show=False, scope="feeds"),
    KeySpec("feeds-sort", "S", "cycle_sort", "Sort by relevance or by date", "Sort", show=False, scope="feeds"),
    KeySpec("feeds-view", "v", "cycle_view", "Show unread or every entry", scope="feeds"),
    KeySpec("practice-open", "o", "open_problem",
            "Open the problem on LeetCode (in a browser, or as a link to click or copy)", "Open", scope="practice"),
    KeySpec("practice-copy", "y", "copy_link", "Copy the problem's link to the clipboard (OSC 52, works over SSH)",
            scope="practice"),
    KeySpec("practice-start", "s", "start_problem", "Start the problem now: done counts the minutes from here",
            "Start", scope="practice"),
    KeySpec("practice-done", "d", "done_problem", "Done: rate it again, hard, good or easy (and the minutes)",
            "Done", scope="practice"),
    KeySpec("practice-skip", "x", "skip_problem", "Skip it for today and go to the next suggestion", "Skip",
            scope="practice"),
    KeySpec("practice-next", "n", "next_problem", "Go to the problem that fits the minutes the run leaves", "Next",
            scope="practice"),
    KeySpec("practice-undo", "u", "undo", "Undo the last change to practice", "Undo", show=False, scope="practice"),
    KeySpec("practice-filter", "/", "filter", "Filter: words, due, blind75, easy, medium, hard, solved, new",
            "Filter", scope="practice"),
    KeySpec("practice-clear", "escape", "clear_filter", "Clear the filter", show=False, scope="practice"),
    KeySpec("practice-view", "v", "cycle_view", "Show every problem, the reviews due today or the Blind 75",
            scope="practice"),
    KeySpec("check-done", "space", "toggle_done", "Mark the item done, or not done again (enter too)", "Done",
            scope="checklists"),
    KeySpec("check-snooze", "s", "snooze", "Snooze the item for some days (1 unless you say)", "Snooze",
            scope="checklists"),
    KeySpec("check-edit", "e", "edit_title", "Edit the item's title", "Edit", show=False, scope="checklists"),
    KeySpec("check-add", "a", "add_item", "Add an item: List: title", "Add", scope="checklists"),
    KeySpec("check-undo", "u", "undo", "Undo the last change to the checklists", "Undo", show=False,
            scope="checklists"),
    KeySpec("check-view", "v", "cycle_view", "Show what is due or every item", "View", scope="checklists"),
    KeySpec("close-run", "escape,q", "close", "Back to the dashboard", "Back", scope="run"),
    KeySpec("next-metric", "tab,c", "next_metric", "Chart the next metric", "Metric", scope="run"),
    KeySpec("explain-run", "e", "explain", "Explain the reading: the line and recognizer behind each value",
            "Explain", scope="run"),
    KeySpec("note-run-detail", "n", "note_run", "Add a note to this run: what it answers, what was learned, what is next",
            "Note", scope="run"),
    KeySpec("plan-accept", "enter,a", "accept", "Accept the suggestion: open it and start its timer", "Accept",
            scope="plan"),
    KeySpec("plan-skip", "s,x", "skip", "Skip the suggestion: the next one takes its place", "Skip", scope="plan"),
    KeySpec("plan-replan", "r", "replan", "Plan again from the minutes left now", "Re-plan", scope="plan"),
    KeySpec("plan-finish", "f,d", "finish", "Done with the accepted item: record the minutes it took", "Done",
            scope="plan"),
    KeySpec("plan-leave", "escape", "leave", "Back to the area you came from", show=False, scope="plan"),
    KeySpec("standup-copy", "y,c", "copy", "Copy the update to the clipboard (OSC 52, works over SSH)", "Copy",
            scope="standup"),
    KeySpec("standup-format", "m", "cycle_format", "Show it as Markdown or as plain text", "Format", scope="standup"),
    KeySpec("standup-since", "s", "cycle_since", "Cover the last 24 hours, 3 days or week", "Since", scope="standup"),
    KeySpec("standup-close", "escape,q,U", "dismiss", "Close the daily update", "Close", scope="standup"),
    KeySpec("close-explain", "escape,q,e", "dismiss", "Close the explanation", "Close", scope="explain"),
    # Lists (Runs, Backlog and Feeds) and the small dialogs: rebindable like the rest.
    KeySpec("list-up", "up,k", "move(-1)", "Up in a list", show=False, scope="list"),
    KeySpec("list-down", "down,j", "move(1)", "Down in a list", show=False, scope="list"),
    KeySpec("list-page-up", "pageup", "page(-1)", "A page up in a list", show=False, scope="list"),
    KeySpec("list-page-down", "pagedown", "page(1)", "A page down in a list", show=False, scope="list"),
    KeySpec("list-first", "home,g", "jump(0)", "The first row of a list", show=False, scope="list"),
    KeySpec("list-last", "end,G", "jump(-1)", "The last row of a list", show=False, scope="list"),
    KeySpec("prompt-cancel", "escape", "cancel", "Cancel a question", show=False, scope="prompt"),
    KeySpec("confirm-yes", "y,enter", "answer(True)", "Answer yes", "Yes", scope="confirm"),
    KeySpec("confirm-no", "n,escape", "answer(False)", "Answer no", "No", scope="confirm"),
    KeySpec("link-copy", "c,y", "copy", "Copy the link to the clipboard (OSC 52)", "Copy", scope="link"),
    KeySpec("link-close", "escape,q,enter", "dismiss", "Close the link", "Close", scope="link"),
)

BINDING_IDS: frozenset[str] = frozenset(spec.id for spec in APP_KEYS)

_MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
_NAMED_KEYS = frozenset(
    "escape enter tab space backspace delete insert home end pageup pagedown up down left right".split()
    + [f"f{n}" for n in range(1, 25)]
)


def _character_names() -> frozenset[str]:
    """Names Textual gives printable ASCII keys, e.g. "question_mark" for "?"."""
    names = set()
    for code in range(0x21, 0x7F):
        name = unicodedata.name(chr(code)).lower().replace("-", "_").replace(" ", "_")
        names.add(name)
    return frozenset(names)


_CHARACTER_NAMES = _character_names()


def invalid_key(key: str) -> str | None:
    """Why ``key`` (one key, e.g. ``ctrl+q`` or ``?``) is not a key Textual can bind, or None."""
    key = key.strip()
    if not key:
        return "empty key"
    if len(key) == 1:
        return None if key.isprintable() and not key.isspace() else f"{key!r} is not a printable key"
    *modifiers, base = key.split("+")
    if not base:
        return f"{key!r} ends in '+' (the plus key is written 'plus')"
    for modifier in modifiers:
        if modifier not in _MODIFIERS:
            return f"unknown modifier {modifier!r} (use {', '.join(_MODIFIERS)})"
    if len(base) == 1 or base in _NAMED_KEYS or base in _CHARACTER_NAMES:
        return None
    return f"unknown key {base!r}"


def invalid_key_list(keys: str) -> str | None:
    """Why a comma-separated key list is unusable, or None."""
    if not keys.strip():
        return "expected at least one key"
    for key in keys.split(","):
        if problem := invalid_key(key):
            return problem
    return None


def effective_keys(keymap: dict[str, str] | None = None) -> list[tuple[KeySpec, str]]:
    """Each binding with the keys it answers to after the user's keymap."""
    keymap = keymap or {}
    return [(spec, keymap.get(spec.id, spec.keys)) for spec in APP_KEYS]


def display_keys(keys: str) -> str:
    """Human form of a key list: "?,f1" -> "? / f1"."""
    shown = []
    for key in keys.split(","):
        key = key.strip()
        try:
            key = unicodedata.lookup(key.replace("_", " ")) if key in _CHARACTER_NAMES else key
        except KeyError:
            pass
        shown.append(key)
    return " / ".join(shown)
