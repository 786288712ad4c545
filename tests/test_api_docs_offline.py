"""Every service's interactive API docs work on a machine without internet: Swagger UI at
``/docs`` loads its script and style from the service itself, in a real headless browser
that refuses every request leaving the machine."""

from __future__ import annotations

from typing import Any

import pytest
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_common.service import ServiceDefinition
from franoi_employment.bootstrap import DEFINITION as EMPLOYMENT
from franoi_events.bootstrap import DEFINITION as EVENTS
from franoi_hosting.bootstrap import DEFINITION as HOSTING
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from playwright.async_api import Page, expect

from tests.browser import SCREENSHOTS
from tests.support import (
    RunningService,
    kafka_settings,
    partner_service_settings,
    projection_settings,
    running,
)

PARTNER = "p23"


@pytest.mark.parametrize(
    "definition",
    [CASES, HOUSING, EMPLOYMENT, HOSTING, EVENTS, PROJECTION],
    ids=lambda d: d.name,
)
async def test_the_api_docs_work_offline(
    definition: ServiceDefinition,
    page: Page,
    databases: Any,
    kafka_bootstrap: str,
    kafka_idempotent: bool,
) -> None:
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent, create_topics=False)
    database_url = await databases.create(definition.name)
    if definition is PROJECTION:
        settings: Any = projection_settings(database_url, kafka, [PARTNER], consumer_enabled=False)
    else:
        settings = definition.settings_type(
            **partner_service_settings(
                database_url, kafka, [PARTNER], relay_enabled=False
            ).model_dump()
        )
    service = RunningService(definition, settings)
    async with running(service):
        await page.goto(service.url + "/")  # leads to /docs
        assert page.url.endswith("/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text(definition.title)
        operations = page.locator(".swagger-ui .opblock")
        await expect(operations.first).to_be_visible()
        assert await operations.count() >= 3
        await page.screenshot(path=SCREENSHOTS / f"api-docs-{definition.name}.png")

        assert (await service.client.get("/redoc")).status_code == 404  # none: not offline
