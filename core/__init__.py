"""The shared vocabulary every room may import, importing nothing of Clarion: the wire contract between
API, workflows and activities, the pure rules, and the settings tree."""
