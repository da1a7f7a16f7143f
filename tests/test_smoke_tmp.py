from conftest import link_in, outbox, sign, signatures


def test_flow(app, client, statement, admin_client):
    r = sign(client, statement)
    assert r.status_code == 303
    msgs = outbox(app)
    assert len(msgs) == 1
    path = link_in(msgs[0], "confirm")
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 303
    assert signatures(app)[0].state.value == "confirmed"
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "Rainbow" in page
