"""The dispatcher's screens with a million orders (issue 2 §9).

Each page is rendered through the Flask test client, logged in as the demo dispatcher (a cadre for
"my cases"), and timed
(median and p95). Beside it, the floor: every SQL statement that render sent, captured from the
engine and sent again straight to the DB-API cursor (rows fetched, no ORM, no template), in the
same run. The ratio render / SQL is what the app adds; the page's main SELECT (the one over
`cases` with a LIMIT, or the case itself) is shown on its own, with its plan when it is slow.

    python -m bench --only queue                    # 1,000,000 orders on SQLite
    python -m bench --only queue --orders 100000    # quicker
    python -m bench --only queue --database-url postgresql+psycopg://postgres@127.0.0.1:5432/casework_bench
"""

from sqlalchemy import select, text

from bench.common import Recorder, Statement, bench_app, explain, login_client, million_orders_db, ms, replay, timed

SLOW_RENDER_S = 0.2  # above this a page's main query plan is printed


def add_arguments(parser) -> None:
    parser.add_argument("--queue-explain", action="store_true", help="queue: print the query plan of every page")


def main_statement(statements: list[Statement]) -> Statement:
    """The page's main query: the SELECT over cases with a LIMIT (a list), else the first over cases."""
    over_cases = [s for s in statements if s.sql.lstrip().upper().startswith("SELECT") and "FROM cases" in s.sql]
    listing = [s for s in over_cases if "LIMIT" in s.sql.upper()]
    return (listing or over_cases or statements)[0]


def pages(app) -> list[tuple[str, str]]:
    """The pages to time: (who, label, URL), chosen from what the database holds."""
    from casework import queue
    from casework.extensions import db
    from casework.models import Case, Village

    with app.app_context():
        total = db.session.scalar(text("SELECT count(*) FROM cases"))
        deep = db.session.scalars(
            select(Case).order_by(Case.received_at.desc(), Case.id.desc()).offset(total * 3 // 4).limit(1)
        ).one()
        middle = db.session.scalars(select(Case).where(Case.kind == "order").offset(total // 2).limit(1)).one()
        village = db.session.scalars(select(Village).order_by(Village.id)).first()
        problem = db.session.scalars(select(Case).order_by(Case.reopen_count.desc(), Case.id).limit(1)).one()
        dispute = db.session.scalars(
            select(Case).where(Case.kind == "dispute", Case.tier == "centre").order_by(Case.id).limit(1)
        ).first()
        listed = [
            ("queue: first page (new orders)", "/queue"),
            ("queue: first page, all states", "/queue?state="),
            ("queue: village + assigned", f"/queue?state=assigned&village={village.id}"),
            ("queue: village + resolved", f"/queue?state=resolved&village={village.id}"),
            ("queue: overdue", "/queue?state=&overdue=1"),
            ("queue: search order number", f"/queue?state=&q={middle.number}"),
            ("queue: search words, common", "/queue?state=&q=" + "路灯"),
            ("queue: search words, no match", "/queue?state=&q=" + "井盖被盗"),
            (f"queue: deep page ({total * 3 // 4:,} down)", f"/queue?state=&after={queue.encode_cursor(deep)}"),
            (f"case page: order, {len(middle.events)} events", f"/cases/{middle.id}"),
            (f"case page: order, {len(problem.events)} events", f"/cases/{problem.id}"),
        ]
        if dispute is not None:
            listed.append((f"case page: dispute, {len(dispute.events)} events", f"/cases/{dispute.id}"))
        cadre = village.default_cadre.username
        return [("dispatcher", label, path) for label, path in listed] + [(cadre, "my cases (a cadre)", "/my")]


def run(args) -> None:
    url = million_orders_db(args.orders, args.database_url)
    app = bench_app(url)
    with app.app_context():
        from casework.extensions import db

        engine = db.engine
    recorder = Recorder(engine)
    clients = {}
    print(f"{'page':<38} {'render (test client)':>30} | {'all its SQL, raw':>30} | ratio | main SELECT")
    for who, label, path in pages(app):
        client = clients.setdefault(who, login_client(app, who))
        _bench_page(args, engine, recorder, client, label, path)


def _bench_page(args, engine, recorder, client, label, path) -> None:
    def render():
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")

    statements = recorder.capture(render)
    page = timed(render, args.repeat)
    floor = timed(replay(engine, statements), args.repeat)
    main = main_statement(statements)
    main_time = timed(replay(engine, [main]), args.repeat)
    ratio = page[0] / floor[0] if floor[0] else float("inf")
    print(
        f"{label:<38} {ms(page[0])} med {ms(page[1])} p95 | {ms(floor[0])} med {ms(floor[1])} p95 "
        f"| {ratio:5.1f}x | {ms(main_time[0])} ({len(statements)} statements)",
        flush=True,
    )
    if args.queue_explain or page[0] > SLOW_RENDER_S:
        print("    plan of the main SELECT:")
        print(explain(engine, main))
