"""The people services for villages and districts: names, aliases, a village's default cadre, a district's mediator."""

from casework import people
from casework.extensions import db
from tests.helpers import edit_village, refused

# --- villages -----------------------------------------------------------------------------------


def test_create_village_cleans_its_aliases(world):
    village = people.create_village(
        world.admin, name="五星村", aliases=" 五星， 五星村委会、五星,五星村 ", district=world.south
    )
    db.session.commit()
    assert village.aliases == "五星,五星村委会"
    assert village.district_id == world.south.id


def test_a_village_name_is_unique(world):
    message = refused("name", people.create_village, world.admin, name="东风村")
    assert "东风村" in message
    refused("name", edit_village, world.admin, world.v2, name="东风村")


def test_a_village_keeps_its_own_name_on_update(world):
    edit_village(world.admin, world.v1, aliases="东风")
    assert world.v1.aliases == "东风"


def test_an_alias_may_not_name_another_village(world):
    edit_village(world.admin, world.v1, aliases="东风")
    db.session.commit()
    message = refused("aliases", people.create_village, world.admin, name="东方村", aliases="东风")
    assert "东风村" in message
    refused("aliases", people.create_village, world.admin, name="东方村", aliases="红旗村")
    refused("name", people.create_village, world.admin, name="东风")


LONG_ALIASES = ",".join(f"别名{i:03d}甲甲甲甲" for i in range(21))  # 209 characters, none repeated


def test_aliases_are_at_most_200_characters(world):
    refused(
        "aliases",
        people.create_village,
        world.admin,
        name="长村",
        aliases=",".join(f"别名{i:03d}甲甲甲甲" for i in range(21)),
    )


def test_default_cadre_must_serve_the_village(world):
    message = refused("default_cadre", edit_village, world.admin, world.v1, default_cadre=world.cadre2)
    assert "王芳" in message


def test_default_cadre_must_be_an_active_cadre(world, make):
    retired = make.user("cadre", [world.v1], active=False)
    refused("default_cadre", edit_village, world.admin, world.v1, default_cadre=retired)
    refused("default_cadre", edit_village, world.admin, world.v1, default_cadre=world.dispatcher)


def test_default_cadre_can_change_to_another_serving_cadre_or_none(world):
    edit_village(world.admin, world.v1, default_cadre=world.cadre1b)
    assert world.v1.default_cadre_id == world.cadre1b.id
    edit_village(world.admin, world.v1, default_cadre=None)
    assert world.v1.default_cadre_id is None


def test_a_new_village_has_no_one_to_be_its_default_cadre(world):
    refused("default_cadre", people.create_village, world.admin, name="新村", default_cadre=world.cadre1)


# --- districts ----------------------------------------------------------------------------------


def test_a_district_name_is_unique_and_required(world):
    refused("name", people.create_district, world.admin, name="南片区")
    refused("name", people.update_district, world.admin, world.north, name="南片区", mediator=None)
    refused("name", people.create_district, world.admin, name="")


def test_mediator_is_an_active_cadre_or_dispatcher(world, make):
    district = people.create_district(world.admin, name="西片区", mediator=world.dispatcher)
    assert district.mediator_id == world.dispatcher.id
    people.update_district(world.admin, district, name="西片区", mediator=world.cadre3)
    assert district.mediator_id == world.cadre3.id
    message = refused("mediator", people.create_district, world.admin, name="东片区", mediator=world.leader)
    assert "刘书记" in message
    retired = make.user("cadre", [world.v1], active=False)
    refused("mediator", people.create_district, world.admin, name="东片区", mediator=retired)
