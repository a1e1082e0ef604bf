"""People's words kept sealed with the data cipher (AES-GCM under ``TINBAO_DATA_KEYS``).

What a tip says of other people — ``persons_involved`` and ``victim`` — and every message of
the conversation with the reporter, in both directions, are stored only as ciphertext beside
the id of the key that sealed them, like the reporter's identity. Each is bound to its row by
its associated data (a ciphertext copied to another row does not open), and key rotation
(app.privacy.rotation) re-encrypts them. They are opened only where a reader allowed to see
them gets them (staff with personal data, the reporter on /track); analysts, API keys and
exports never do. The description stays in clear: it is what ``q`` searches.
"""

from __future__ import annotations

import json

from app.core.security import DataCipher
from app.tips.models import Tip, TipMessage


def people_aad(tip_id: str) -> bytes:
    return f"tip-people:{tip_id}".encode()


def message_aad(message_id: str) -> bytes:
    return f"tip-message:{message_id}".encode()


def seal_people(
    tip: Tip, *, persons_involved: str | None, victim: str | None, cipher: DataCipher
) -> None:
    """Set the tip's sealed persons involved and victim (nothing stored when both are empty)."""
    if persons_involved is None and victim is None:
        tip.people_key_id, tip.people_ciphertext = None, None
        return
    document = {"persons_involved": persons_involved, "victim": victim}
    tip.people_key_id, tip.people_ciphertext = cipher.encrypt(
        json.dumps(document, ensure_ascii=False).encode(), aad=people_aad(tip.id)
    )


def open_people(tip: Tip, *, cipher: DataCipher) -> tuple[str | None, str | None]:
    """(persons involved, victim) of the tip, decrypted."""
    if tip.people_ciphertext is None or tip.people_key_id is None:
        return None, None
    document = json.loads(
        cipher.decrypt(tip.people_key_id, tip.people_ciphertext, aad=people_aad(tip.id))
    )
    return document.get("persons_involved"), document.get("victim")


def seal_body(message: TipMessage, body: str, *, cipher: DataCipher) -> None:
    """Seal a message's body; the message needs its id first."""
    message.body_key_id, message.body_ciphertext = cipher.encrypt(
        body.encode(), aad=message_aad(message.id)
    )


def open_body(message: TipMessage, *, cipher: DataCipher) -> str:
    return cipher.decrypt(
        message.body_key_id, message.body_ciphertext, aad=message_aad(message.id)
    ).decode()
