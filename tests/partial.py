"""A model with only the fields a test's code reads (model_construct: nothing else is checked)."""

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def partial(model: type[M], **values: Any) -> M:
    return model.model_construct(**values)
