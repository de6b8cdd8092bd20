from portal.extensions import db
from tests.factories import create_resident_user


def test_guessing_one_phone_s_password_is_stopped(client):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    client.set_cookie("wenxu_lang", "en")
    codes = [
        client.post(
            "/sign-in/password", data={"phone": "13800000001", "password": "guess"}
        ).status_code
        for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]
    page = client.post("/sign-in/password", data={"phone": "13800000001", "password": "guess"})
    assert page.status_code == 429
    assert "Too many attempts" in page.get_data(as_text=True)


def test_one_address_trying_many_phones_is_stopped(client):
    codes = [
        client.post(
            "/sign-in/password", data={"phone": f"138000001{i:02d}", "password": "x"}
        ).status_code
        for i in range(11)
    ]
    assert codes == [200] * 10 + [429]


def test_reading_the_sign_in_page_is_not_limited(client):
    assert {client.get("/sign-in").status_code for _ in range(15)} == {200}


def test_asking_for_codes_for_one_phone_is_stopped(client):
    codes = [client.post("/sign-in", data={"phone": "13800000001"}).status_code for _ in range(4)]
    assert codes == [302] * 3 + [429]
