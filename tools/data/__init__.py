"""The dataset engine: read, inspect, map, convert, split, validate and measure tuning datasets.

Sources: local CSV/TSV/JSON/JSONL/Parquet, `gs://` and `local://` URIs of those,
and Hugging Face datasets (`hf://OWNER/NAME?split=train`). Targets: open-model
`messages`, `prompt_completion`, and Gemini `contents`. Every function streams
(memory stays flat) and raises `tools.errors.DataError` with the file, line and
column and a hint — never a traceback for bad data.
"""

from tools.data.convert import convert
from tools.data.inspect import inspect_source
from tools.data.models import (
    TARGET_FORMATS,
    ColumnChoice,
    ColumnInfo,
    ColumnMapping,
    ConvertReport,
    DatasetStats,
    DropReport,
    Inspection,
    MappingRecommendation,
    Problem,
    ValidationReport,
)
from tools.data.recommend import recommend_mapping
from tools.data.resplit import split_file
from tools.data.sources import DEFAULT_MAX_LINE_BYTES, close_matches, data_files_in, is_data_file
from tools.data.stats import dataset_stats
from tools.data.validate import drop_invalid_rows, validate_jsonl

__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "TARGET_FORMATS",
    "ColumnChoice",
    "ColumnInfo",
    "ColumnMapping",
    "ConvertReport",
    "DatasetStats",
    "DropReport",
    "Inspection",
    "MappingRecommendation",
    "Problem",
    "ValidationReport",
    "close_matches",
    "convert",
    "data_files_in",
    "dataset_stats",
    "drop_invalid_rows",
    "inspect_source",
    "is_data_file",
    "recommend_mapping",
    "split_file",
    "validate_jsonl",
]
