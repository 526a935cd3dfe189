"""Two browser tabs saving one graph over and over: every save either lands as its own
version or is refused with 409 and retried — none is ever silently lost."""

from __future__ import annotations

import threading

from helpers import graph

SAVES = 100


def test_two_clients_interleaving_saves_lose_nothing(server, api):
    gid = api.post("/api/graphs", json={"document": graph("Contended", text="start")}).json()["id"]
    conflicts = {"a": 0, "b": 0}
    errors: list[str] = []

    def client(name: str) -> None:
        with server.client() as http:
            for i in range(SAVES):
                doc = graph("Contended", text=f"{name}-{i}")
                while True:
                    latest = http.get(f"/api/graphs/{gid}").json()["latest_version"]
                    resp = http.put(f"/api/graphs/{gid}", json={"document": doc, "based_on": latest})
                    if resp.status_code == 200:
                        break
                    if resp.status_code != 409 or resp.json()["error"]["details"]["document"] != doc:
                        errors.append(resp.text)
                        return
                    conflicts[name] += 1  # the rejected document came back; try again on top

    threads = [threading.Thread(target=client, args=(n,)) for n in conflicts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    versions = api.get(f"/api/graphs/{gid}/versions").json()["data"]
    assert [v["number"] for v in versions] == list(range(2 * SAVES + 1, 0, -1))
    texts = [api.get(f"/api/graphs/{gid}/versions/{v['number']}").json()["document"]["nodes"][0]["params"]["value"]
             for v in versions]
    for name in conflicts:
        mine = [t for t in reversed(texts) if t.startswith(f"{name}-")]
        assert mine == [f"{name}-{i}" for i in range(SAVES)]  # all of them, in the order saved
