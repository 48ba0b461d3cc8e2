"""Versioning, beside the build: record-level diffs, semantic version bumps, frozen releases, the changelog.

- `versions`: parse and bump versions; the version of a development build;
- `manifest`: `releases/<version>.json`, the tracked record of each release
  (its commit, `created`, the sha256 of every file); the latest release is the
  base of `diff` and `release` — git tags are never needed;
- `git`: extracting the package at a commit, and `created` from the last commit;
- `diff` and `render`: what changed between two states, field by field, and
  the smallest bump it needs (text, Markdown, JSON);
- `changelog`: CHANGELOG.md entries and CITATION.cff;
- `release`: what a maintainer runs to freeze the next version.
"""
