"""Twilio intake: the phone line (IVR, advocate dial, voicemail) and text messages, signed and idempotent."""
