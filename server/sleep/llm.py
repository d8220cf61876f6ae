"""Abstractive summaries from an OpenAI-compatible chat-completions endpoint (e.g. a local Ollama), optional.

The key, if the endpoint needs one, lives in the OS keyring (service "reverie",
user "sleep-llm"; set it with `keyring set reverie sleep-llm`); without a keyring
backend the request simply goes without one. Any failure falls back to the
extractive summary, so an endpoint that is down never stops consolidation.
"""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger("reverie.sleep")

KEYRING_SERVICE, KEYRING_USER = "reverie", "sleep-llm"
PROMPT = (
    "Merge these notes about one user into one or two short factual sentences. Keep every name, number and "
    "date exactly; add nothing that is not in the notes; answer with the sentences only.\n\n"
)


def api_key() -> str | None:
    """The endpoint's key from the keyring; None when there is none or no keyring backend exists."""
    try:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except NoKeyringError:
        return None  # headless machines: no backend, no key (local endpoints rarely need one)
    except KeyringError as exc:
        log.warning("keyring lookup for the summary endpoint failed: %s", exc)
        return None


class LLMSummarizer:
    def __init__(self, base_url: str, model: str, *, timeout_s: float = 30.0, transport: httpx.BaseTransport | None = None,
                 key: str | None = None):
        headers = {}
        key = key if key is not None else api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.model = model
        self.client = httpx.Client(base_url=base_url.rstrip("/") + "/", timeout=timeout_s, headers=headers, transport=transport)

    def summarize(self, texts: list[str], max_chars: int) -> str | None:
        """One summary of `texts`, or None if the endpoint fails or answers with nothing usable."""
        notes = "\n".join(f"- {t}" for t in texts)
        try:
            response = self.client.post(
                "chat/completions",
                json={"model": self.model, "temperature": 0, "messages": [{"role": "user", "content": PROMPT + notes}]},
            )
            response.raise_for_status()
            text = response.json()["choices"][0]["message"]["content"].strip()
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("summary endpoint failed (%s); using the extractive summary", exc)
            return None
        return text if 0 < len(text) <= max_chars else None

    def close(self) -> None:
        self.client.close()
