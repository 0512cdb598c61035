"""Persistent DB connections (issue 12): reused, TLS kept, re-established when dropped, no state leaks."""

from __future__ import annotations

import time
from contextlib import contextmanager

import requests

from conftest import DB_NAME, DB_USER
from test_api import TIMEOUT, post_score


class RootSession:
    """One root connection for every read and KILL, so the checks themselves open no connection
    (Connections and Ssl_accepts then count the app's connections only)."""

    def __init__(self, mariadb) -> None:
        self.conn = mariadb.root()

    def query(self, sql: str, args=None) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())

    def status(self, name: str) -> int:
        return int(self.query("SHOW GLOBAL STATUS LIKE %s", (name,))[0][1])

    def kill_app_connections(self) -> int:
        ids = [r[0] for r in self.query("SELECT id FROM information_schema.processlist WHERE user = %s", (DB_USER,))]
        for ident in ids:
            self.query(f"KILL CONNECTION {int(ident)}")
        return len(ids)


@contextmanager
def root_session(mariadb):
    session = RootSession(mariadb)
    try:
        yield session
    finally:
        session.conn.close()


def test_requests_reuse_connections(app, mariadb, empty_table):
    """Was: 2,000 GETs -> 2,000 connections (a TCP connect, TLS handshake and login each)."""
    for _ in range(20):  # warm the pools
        assert requests.get(app.url + "/scores", timeout=TIMEOUT).status_code == 200
    with root_session(mariadb) as root:
        before = root.status("Connections")
        session = requests.Session()
        for i in range(200):
            assert session.get(app.url + "/scores", timeout=TIMEOUT).status_code == 200
            if i % 4 == 0:
                assert post_score(app, i).status_code == 201
        opened = root.status("Connections") - before
    print(f"250 requests opened {opened} database connections")
    assert opened <= 4, opened  # a few workers may still open their first ones; never one per request


def test_dropped_connections_are_replaced_and_tls_is_kept(app, mariadb):
    """The server drops every pooled connection (restart, wait_timeout): the next requests still succeed,
    on new connections that are all TLS again."""
    for _ in range(8):
        assert requests.get(app.url + "/scores", timeout=TIMEOUT).status_code == 200
    with root_session(mariadb) as root:
        conns, tls = root.status("Connections"), root.status("Ssl_accepts")
        assert root.kill_app_connections() >= 1
        time.sleep(0.3)  # idle past the pool's ping threshold: connections are checked before use
        statuses = [requests.get(app.url + "/scores", timeout=TIMEOUT).status_code for _ in range(12)]
        assert statuses == [200] * 12, statuses
        new_conns = root.status("Connections") - conns
        new_tls = root.status("Ssl_accepts") - tls
    assert 1 <= new_conns <= 12, new_conns  # at most one new connection per request
    assert new_tls == new_conns, f"{new_conns} new connections, {new_tls} with TLS"


def test_no_transaction_state_leaks_between_requests(app, mariadb, empty_table):
    """Each request sees rows committed before it started: no read snapshot survives on a pooled connection."""
    for i in range(30):
        assert requests.get(app.url + "/scores", params={"limit": 1}, timeout=TIMEOUT).status_code == 200
        mariadb.sql("INSERT INTO scores (score, created_at) VALUES (%s, UTC_TIMESTAMP(6))", (900 + i,),
                    database=DB_NAME)
        latest = requests.get(app.url + "/scores", params={"limit": 1}, timeout=TIMEOUT).json()["scores"]
        assert latest and latest[0]["score"] == 900 + i, (i, latest)
    open_trx = mariadb.sql("SELECT COUNT(*) FROM information_schema.innodb_trx t "
                           "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
                           "WHERE p.user = %s", (DB_USER,))[0][0]
    assert open_trx == 0, "a pooled connection was returned with an open transaction"
