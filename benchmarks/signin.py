"""What the benchmarks share: a test client signed in as someone (not a benchmark itself)."""


def signed_in(app, user):
    """Return a test client signed in as ``user`` (a session row, as the sign-in page makes)."""
    from healthwise.auth.decorators import SESSION_KEY
    from healthwise.auth.service import start_session
    from healthwise.extensions import db

    client = app.test_client()
    with app.app_context():
        db.session.add(user)
        _, raw = start_session(user)
        db.session.commit()
    with client.session_transaction() as session:
        session[SESSION_KEY] = raw
    return client
