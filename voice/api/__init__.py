"""The voice REST API under /api/v1/voice/ (assistants, placing a call, call logs): viewsets that
validate, call one service or selector, and serialize.

Must never import `voice.webhooks` or `voice.admin`.
"""
