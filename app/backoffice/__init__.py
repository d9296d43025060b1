"""HubCheck back office: the service installer laptops sync their queued intents to.

It receives DUIS Service Request intents idempotently, assigns DCC RequestIDs at
submission, tracks each intent's state, keeps the install log for review and hands out
the CPL, job packs and the supplier's regime. It owns its storage (``store`` modules
here); it never touches the laptop store in ``app/store``.
"""
