"""StkFEP as runner stages: expand -> stakeholders -> relevant -> similar -> integrate ->
predict (official ``ChatRetrieval`` -> ``ChatIntegration`` -> ``ChatPrediction``).

Each stage adds its fields to the record, so a killed run resumes after the last finished
stage of each record and the intermediate evidence stays inspectable in the run folder:

- ``expand``: refined queries, background news (question: 10 results, each query: 5, window
  [D - 180 days, D]), kept by one relevance call over the numbered results;
- ``stakeholders``: stakeholders and roles from the topic background and each kept article
  (up to 6 of each, items under 20 characters, stop-words removed);
- ``relevant``: diversity queries from the stakeholders; the question searched over
  [2020-01-01, D] and each query over [D - 180 days, D];
- ``similar``: role-generalised queries; only news published ``similar_gap_days`` (150) days
  before D; each candidate rated 1-3, the best ``top_k_sim`` summarised and followed up;
- ``integrate``: verbatim snippets per group, clustered (:mod:`lmforge.openep.cluster`), each
  cluster summarised into one perspective;
- ``predict``: :mod:`lmforge.openep.forecast` (the three passes and the ensemble).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from lmforge.pipeline.runner import Stage, StageContext

from .cluster import cluster_snippets
from .evidence import articles_text, prompt_articles, search_all, snippet
from .forecast import forecast_stage
from .replies import (
    followup_reader,
    queries_reader,
    read_indices,
    read_similarity,
    snippets_reader,
    stakeholders_reader,
)
from .search import SearchBackend, Window
from .settings import PredictSettings
from .steps import COPYING, Step, background, day_of, prompt

__all__ = ["stkfep_stages"]


def _done(record: dict[str, Any], step: Step, **fields: Any) -> dict[str, Any]:
    calls = int(record.get("openep_calls", 0)) + step.calls
    return {**record, **fields, "openep_failed": step.failed, "openep_calls": calls}


def _counts(record: dict[str, Any]) -> dict[str, int]:
    return dict(record.get("openep_counts") or {})


def _own(record: dict[str, Any]) -> str:
    topic = record.get("hot_topic") or {}
    return str(topic.get("topic_id") or topic.get("topic"))


def _lower(items: list[str]) -> set[str]:
    return {item.lower() for item in items}


def _stage(name: str, fn: Any, settings: PredictSettings, prompts: tuple[str, ...]) -> Stage:
    params = settings.model_dump(mode="json", exclude={"generation"})
    return Stage(name, fn, "1", [prompt(p) for p in prompts], params, settings.generation)


def stkfep_stages(settings: PredictSettings, backend: SearchBackend) -> list[Stage]:
    """The six stages over ``backend``; the searches of a question never leave its window."""
    s = settings
    official = s.official_format

    def recent(record: dict[str, Any], since: date | None = None) -> Window:
        day = day_of(record)
        start = since or day - timedelta(days=s.window_days)
        return Window(until=day, since=start, exclude_topic=_own(record))

    async def expand(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        step, day = Step(ctx, s, record), day_of(record)
        queries = (
            await step.ask(
                "expand",
                "expand",
                queries_reader(official, s.queries),
                schema="queries",
                question=record["question"],
                date=str(day),
                background=background(record),
                count=s.queries,
                official=official,
            )
            or []
        )
        window = recent(record)
        searches = [(record["question"], window, s.k_question)]
        searches += [(q, window, s.k_query) for q in queries]
        found = prompt_articles(await search_all(backend, searches), day, counts := _counts(record))
        kept = found
        if found:
            shown = [{**a, "snippet": snippet(a["text"])} for a in found]
            picked = await step.ask(
                "relevance",
                "relevance",
                read_indices(len(found)),
                schema="relevant",
                question=record["question"],
                articles=shown,
            )
            kept = found if picked is None else [found[i] for i in picked]
        return _done(
            record,
            step,
            queries=queries,
            background_news=kept[: s.max_background],
            openep_counts={**counts, "background_found": len(found)},
        )

    async def stakeholders(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        step = Step(ctx, s, record)
        texts = [background(record)] + [a["text"] for a in record.get("background_news", [])]
        people: list[str] = []
        roles: list[str] = []
        for text in [t for t in texts if t][: s.stakeholder_articles]:
            got = await step.ask(
                "stakeholders",
                "stakeholders",
                stakeholders_reader(official),
                schema="stakeholders",
                question=record["question"],
                article=snippet(text, 3000),
                official=official,
            )
            if got:
                people += [p for p in got["stakeholders"] if p.lower() not in _lower(people)]
                roles += [r for r in got["roles"] if r.lower() not in _lower(roles)]
        return _done(record, step, stakeholders=people, roles=roles)

    async def relevant(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        step, day = Step(ctx, s, record), day_of(record)
        queries = (
            await step.ask(
                "diversity",
                "diversity",
                queries_reader(official, s.queries),
                schema="queries",
                question=record["question"],
                date=str(day),
                background=background(record),
                stakeholders=record.get("stakeholders", []),
                count=s.queries,
                official=official,
            )
            or []
        )
        since = date.fromisoformat(s.relevant_since)
        searches = [(record["question"], recent(record, since), s.k_query)]
        searches += [(q, recent(record), s.k_query) for q in queries]
        counts = _counts(record)
        found = prompt_articles(await search_all(backend, searches), day, counts)
        return _done(
            record, step, diversity_queries=queries, relevant_news=found, openep_counts=counts
        )

    async def similar(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        return await similar_events(record, Step(ctx, s, record), s, backend)

    async def integrate(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        step = Step(ctx, s, record)
        nodes = {}
        for kind, budget in (("relevant", s.relevant_tokens), ("similar", s.similar_tokens)):
            articles = record.get("background_news", []) if kind == "relevant" else []
            articles = articles + record.get(f"{kind}_news", [])
            nodes[kind] = await perspectives(record, step, s, kind, articles, budget)
        return _done(record, step, nodes_relevant=nodes["relevant"], nodes_similar=nodes["similar"])

    return [
        _stage("expand", expand, s, ("expand", "relevance")),
        _stage("stakeholders", stakeholders, s, ("stakeholders",)),
        _stage("relevant", relevant, s, ("diversity",)),
        _stage("similar", similar, s, ("similar_queries", "similar_rate", "similar_followup")),
        _stage("integrate", integrate, s, ("snippets", "cluster_summary")),
        forecast_stage(s),
    ]


async def similar_events(
    record: dict[str, Any], step: Step, s: PredictSettings, backend: SearchBackend
) -> dict[str, Any]:
    """Role-generalised search for past events, 1-3 rating, follow-up of the best."""
    day = day_of(record)
    until = day - timedelta(days=s.similar_gap_days)
    if s.similar_until is not None:
        until = min(until, date.fromisoformat(s.similar_until))
    window = Window(
        until=until, since=date.fromisoformat(s.similar_since), exclude_topic=_own(record)
    )
    queries = (
        await step.ask(
            "similar_queries",
            "similar_queries",
            queries_reader(s.official_format, s.queries),
            schema="queries",
            question=record["question"],
            background=background(record),
            roles=record.get("roles") or record.get("stakeholders", []),
            count=s.queries,
            official=s.official_format,
        )
        or []
    )
    counts = _counts(record)
    found = prompt_articles(
        await search_all(backend, [(q, window, s.k_query) for q in queries]), until, counts
    )
    rated = []
    for item in found[: s.similar_candidates]:
        score = await step.ask(
            "similar_rate",
            "similar_rate",
            read_similarity,
            schema="similarity",
            question=record["question"],
            background=background(record),
            article=snippet(item["text"], 2000),
        )
        rated.append((score or 1, item))  # official: an unreadable rating counts as 1
    rated.sort(key=lambda pair: -pair[0])
    kept, summaries = [], []
    for score, item in rated[: s.top_k_sim]:
        kept.append({**item, "similarity": score})
        follow = await step.ask(
            "similar_followup",
            "similar_followup",
            followup_reader,
            schema="followup",
            question=record["question"],
            article=snippet(item["text"], 3000),
        )
        if follow:
            summaries.append(follow["summary"])
            more = [(q, window, s.k_query) for q in follow["queries"][:3]]
            extra = prompt_articles(await search_all(backend, more), until, counts)
            kept += [a for a in extra if a not in kept]
    return _done(
        record,
        step,
        similar_queries=queries,
        similar_news=kept,
        similar_summaries=summaries,
        openep_counts=counts,
    )


def _verbatim(snippets: list[str], source: str) -> tuple[list[str], int]:
    flat = " ".join(source.split())
    kept = [sn for sn in snippets if " ".join(sn.split()) in flat]
    return kept, len(snippets) - len(kept)


async def perspectives(
    record: dict[str, Any],
    step: Step,
    s: PredictSettings,
    kind: str,
    articles: list[dict[str, Any]],
    budget: int,
) -> list[str]:
    """Snippets of one group, clustered and summarised into perspective texts.

    Only passages found word for word in the articles are kept (a paraphrase could carry
    a model's invention into the evidence); when none survive, the articles' first
    sentences stand in, counted as ``snippet_fallback``.
    """
    if not articles:
        return []
    text = articles_text(articles, budget)
    queries = record.get("diversity_queries", []) if kind == "relevant" else []
    got = (
        await step.ask(
            f"snippets_{kind}",
            "snippets",
            snippets_reader,
            schema="snippets",
            guards=COPYING,
            question=record["question"],
            queries=queries,
            kind=kind,
            text=text,
        )
        or []
    )
    kept, rejected = _verbatim(got, text)
    counts = record.setdefault("openep_counts", {})
    counts[f"snippets_not_verbatim_{kind}"] = rejected
    if not kept:
        from lmforge.text import split_sentences

        counts[f"snippet_fallback_{kind}"] = 1
        kept = [" ".join(sn.text for sn in split_sentences(a["text"])[:3]) for a in articles]
    groups = cluster_snippets(
        kept, embeddings=s.embeddings, covariance=s.covariance, seed=s.generation.seed
    )
    nodes = []
    for group in groups:
        if len(group) == 1:
            nodes.append(group[0])
            continue
        summary = await step.ask(
            f"summary_{kind}",
            "cluster_summary",
            _paragraph,
            max_tokens=s.summary_tokens,
            question=record["question"],
            snippets=group,
        )
        nodes.append(summary if summary else " ".join(group))
    return nodes


def _paragraph(text: str) -> str:
    from lmforge.errors import ParseFailure

    body = text.strip()
    if len(body) < 10:
        raise ParseFailure("no summary", text)
    return body
