"""A repository's settings: parse and validate `.github/tact.yml`, merge its sources, report errors as data.

Flask-free and GitHub-free: callers hand in the files' text (or None when there is no file), so both
processes and the CLI share this module. Users' mistakes never raise; they come back as ``SettingsError``s
with file, key, line and column, for the check-run summary and the dashboard (stale's lesson: a warning
only in our logs is a warning nobody reads).
"""

from service.settings.model import (
    CATEGORIES,
    DASHBOARD,
    DEFAULTS,
    MAX_FILE_CHARS,
    ORGANIZATION_FILE,
    REPOSITORY_FILE,
    SCHEMA_PATH,
    SOURCE_WORDS,
    SUPPORTED_LANGUAGES,
    RepoSettings,
    SettingsError,
    SettingsResult,
    render_errors_markdown,
    schema,
)
from service.settings.parse import (
    Path_,
    check_mapping,
    language_supported,
    parse_file,
)
from service.settings.resolve import (
    Source,
    resolve,
    settings_table_markdown,
)

__all__ = [
    "SCHEMA_PATH",
    "SOURCE_WORDS",
    "REPOSITORY_FILE",
    "ORGANIZATION_FILE",
    "DASHBOARD",
    "CATEGORIES",
    "SUPPORTED_LANGUAGES",
    "MAX_FILE_CHARS",
    "schema",
    "RepoSettings",
    "DEFAULTS",
    "SettingsError",
    "SettingsResult",
    "render_errors_markdown",
    "Path_",
    "parse_file",
    "check_mapping",
    "language_supported",
    "Source",
    "resolve",
    "settings_table_markdown",
]
