"""The channels the config asks for, built for where waitbuddy runs (terminal, tmux, SSH)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from waitbuddy.alerts.channel import SKIPPED, Channel, Delivery
from waitbuddy.alerts.events import AlertEvent
from waitbuddy.config import AlertsConfig

PUSH_TIMEOUT = 5.0  # seconds per attempt; a push channel's thread waits at most about twice that
NTFY_TOPIC_ENV, NTFY_TOKEN_ENV, WEBHOOK_URL_ENV = "WAITBUDDY_NTFY_TOPIC", "WAITBUDDY_NTFY_TOKEN", "WAITBUDDY_WEBHOOK_URL"


class FocusAware:
    """Skips desktop notifications while the dashboard has the person's attention."""

    def __init__(self, channel: Channel, focused: Callable[[], bool]) -> None:
        self.channel, self.focused, self.name = channel, focused, channel.name

    def send(self, event: AlertEvent) -> Delivery:
        if self.focused():
            return Delivery(self.name, SKIPPED, "the dashboard has focus; the toast is enough")
        return self.channel.send(event)


class Off:
    """A channel the config turned off or left unconfigured, so `notify --test` can say so."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason

    def send(self, event: AlertEvent) -> Delivery:
        return Delivery(self.name, SKIPPED, self.reason)


def build_channels(config: AlertsConfig, env: Mapping[str, str], *,
                   focused: Callable[[], bool] | None = None) -> list[Channel]:
    """Every alert channel, in the order they are tried; off ones say why (for notify --test)."""
    from waitbuddy.alerts.push import NtfyChannel, WebhookChannel
    from waitbuddy.net import Client
    from waitbuddy.alerts.programs import CommandChannel, NotifySendChannel, TmuxMessageChannel
    from waitbuddy.alerts.terminal import BellChannel, Terminal, TerminalNotifyChannel, tmux_facts_every

    terminal = Terminal.open_controlling()
    tmux = tmux_facts_every(env)  # fresh facts: the person attaches, detaches, switches windows

    def desktop(channel: Channel) -> Channel:
        return FocusAware(channel, focused) if focused is not None and config.skip_when_focused else channel

    channels: list[Channel] = [
        BellChannel(terminal) if config.bell else Off("bell", "off in config"),
        desktop(TerminalNotifyChannel(env, terminal, tmux, protocol=config.protocol))
        if config.terminal else Off("terminal", "off in config"),
        TmuxMessageChannel(tmux) if config.tmux else Off("tmux", "off in config"),
        desktop(NotifySendChannel(env)) if config.notify_send == "auto" else Off("notify-send", "off in config"),
    ]
    topic = config.ntfy.topic or env.get(NTFY_TOPIC_ENV, "")
    channels.append(
        NtfyChannel(config.ntfy.server, topic, token=config.ntfy.token or env.get(NTFY_TOKEN_ENV),
                    include_path=config.ntfy.include_path, client=Client(timeout=PUSH_TIMEOUT))
        if topic else Off("ntfy", f"no topic ([alerts.ntfy] topic or {NTFY_TOPIC_ENV})")
    )
    url = config.webhook.url or env.get(WEBHOOK_URL_ENV, "")
    channels.append(
        WebhookChannel(url, style=config.webhook.style, client=Client(timeout=PUSH_TIMEOUT)) if url
        else Off("webhook", f"no URL ([alerts.webhook] url or {WEBHOOK_URL_ENV})")
    )
    channels.append(CommandChannel(config.command, env) if config.command else Off("command", "no command in config"))
    return channels


def build_progress(config: AlertsConfig, env: Mapping[str, str]):
    """The terminal progress indicator (OSC 9;4) for the main run, or None when off."""
    if not config.progress:
        return None
    from waitbuddy.alerts.terminal import ProgressChannel, Terminal, tmux_facts_every

    return ProgressChannel(env, Terminal.open_controlling(), tmux_facts_every(env))


def enabled(channels: list[Channel]) -> list[Channel]:
    return [channel for channel in channels if not isinstance(channel, Off)]
