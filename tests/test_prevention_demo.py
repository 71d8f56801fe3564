"""The demo city's prevention measures: their effects are built into the generated reports, so the evaluation
finds what `make run` should show (a successful coating, a legal wall with displacement round the corner,
lighting without effect), deterministically."""
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select

from app.city import current_city
from app.extensions import db
from app.models import Measure
from app.services.core.demo import seed_demo
from app.services.prevention import evaluation
from gis.demo import generate_buildings, generate_reports

CENTRES = {"A": (515000.0, 5441000.0), "B": (513500.0, 5442500.0)}


def test_the_measures_and_their_effects_are_deterministic(app):
    buildings = generate_buildings(current_city().boundary_metric, CENTRES, seed=5, core="A")
    runs = []
    for _ in range(2):
        measures: list = []
        reports = generate_reports(buildings, [(515000.0, 5441000.0, 150.0)], 2000, datetime(2026, 11, 1), seed=5,
                                   measures=measures)
        runs.append(([(m.kind, m.building, m.start) for m in measures], [(r.x, r.y, r.created_at) for r in reports]))
    assert runs[0] == runs[1] and [k for k, _b, _s in runs[0][0]] == ["coating", "legal_wall", "lighting"]
    plain = generate_reports(buildings, [(515000.0, 5441000.0, 150.0)], 2000, datetime(2026, 11, 1), seed=5)
    assert len(plain) > len(runs[0][1])   # the coating kept graffiti away: fewer reports than without measures
    centres = [buildings[b].footprint.centroid for _k, b, _s in runs[0][0]]
    assert min(a.distance(b) for i, a in enumerate(centres) for b in centres[i + 1:]) > 1000


def test_the_demo_shows_a_coating_that_worked_displacement_and_lighting_without_effect(app, prevention_client):
    until = datetime(2026, 11, 30, 12, tzinfo=UTC)
    summary = seed_demo(until=until, progress=lambda *_: None)
    assert summary["measures"] == 3
    found = {m.kind: (m, evaluation.evaluate(m, today=until.date())) for m in db.session.scalars(select(Measure))}
    coating, wall, lighting = (found[k][1] for k in ("coating", "legal_wall", "lighting"))
    assert all(ev.judged for ev in (coating, wall, lighting))
    assert coating.assessment.effect.low > 1                                     # it worked
    assert coating.respray_after.share < coating.respray_before.share            # fewer re-sprayed walls
    assert wall.assessment.displacement.wdq < 0                                  # moved round the corner
    assert wall.assessment.displacement.verdict.startswith("displacement")
    assert wall.assessment.totals["buffer_after"] > wall.assessment.totals["buffer_before"]
    effect = lighting.assessment.effect
    assert effect.low < 1 < effect.high and lighting.assessment.displacement.verdict == "no_success"
    assert np.isfinite([coating.cost.avoided_cost, wall.cost.avoided_cost]).all()
    page = prevention_client.get(f"/prevention/measures/{found['lighting'][0].id}/evaluation").get_data(as_text=True)
    assert "Keine Wirkung nachweisbar" in page
    page = prevention_client.get(f"/prevention/measures/{found['coating'][0].id}/evaluation").get_data(as_text=True)
    assert "Wirkung nachgewiesen" in page and "Erneut besprüht" in page
