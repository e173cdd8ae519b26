from casework import workflow


def test_dispatcher_assigns_and_cadre_resolves(world, make, auth, client):
    order = make.order(world.v1)
    auth.login(world.dispatcher)
    r = client.post(f"/cases/{order.id}/assign", data={"assign-assignee": world.cadre1.id, "assign-version": 1})
    assert r.status_code == 302
    auth.logout()
    auth.login(world.cadre1)
    r = client.post(f"/cases/{order.id}/resolve", data={"resolve-result": "已修好", "resolve-version": 2})
    assert r.status_code == 302
    page = client.get(f"/cases/{order.id}").get_data(as_text=True)
    assert "已修好" in page
    assert [e.action for e in order.events] == ["assign", "resolve"]
    assert workflow.allowed_actions(world.cadre1, order) == ["convert", "note"]
