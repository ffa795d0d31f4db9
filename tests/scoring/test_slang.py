from app.scoring.slang import informal_signals, normalise_informal, shorten_runs


def test_chat_forms_become_the_words_the_model_knows():
    text = "gw gak suka bgt sm pelayanannya, udh nunggu 2 jam"
    assert normalise_informal(text) == (
        "saya tidak suka banget sama pelayanannya, sudah menunggu 2 jam"
    )


def test_runs_of_letters_shrink_to_a_word():
    assert shorten_runs("bangeeeet") == "banget"
    assert shorten_runs("maaaaaf") == "maaf"
    assert normalise_informal("mantaaaap") == "mantap"


def test_reduplication_laughter_emoji_mentions_and_hashtags():
    got = normalise_informal("@budi hati2 ya wkwkwk 😡 #TolakRUU https://t.co/x")
    assert got.replace(",", " ").split() == ["hati-hati", "ya", "haha", "marah", "tolak", "ruu"]


def test_english_words_only_when_asked():
    assert normalise_informal("pelayanan bad") == "pelayanan buruk"
    assert normalise_informal("pelayanan bad", english=False) == "pelayanan bad"


def test_news_prose_has_no_informal_marks_but_a_post_has():
    news = "Presiden meresmikan jalan tol baru di Jawa Tengah pada Senin pagi."
    post = "gw gak ngerti knp harga naik terus 😡😡 parah bgt"
    assert informal_signals(news)[0] == 0
    marks, words = informal_signals(post)
    assert (marks, words) == (7, 9)  # gw gak ngerti knp bgt, two emoji


def test_html_escapes_are_undone():
    assert normalise_informal("harga naik &amp; gaji tetap &quot;parah&quot;") == (
        'harga naik & gaji tetap "parah"'
    )
