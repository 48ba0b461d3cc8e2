"""The benchmark: generated corpora (`generate`) and whole-command timings against their floors (`run`)."""

from .generate import Counts, edit_one_record, generate, plan

__all__ = ["Counts", "edit_one_record", "generate", "plan"]
