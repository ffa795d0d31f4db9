"""Stopwords for top terms: common Indonesian and English function words and news filler."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


INDONESIAN = _words(
    """
    ada adalah agar akan aku anda antara apa apakah atas atau bagaimana bagi bahkan bahwa baru
    beberapa begitu belum berbagai bersama beri berikut bisa boleh bukan cara dalam dan dapat
    dari demikian dengan di dia ia ini itu jadi jika juga jangan kami kamu kan karena ke kepada
    kemudian kini kita lagi lain lalu lebih maka masih mau melalui mereka meski mulai namun
    nya oleh pada para pun saat saja sama sampai sangat satu saya sebagai sebelum sedang sejak
    sekitar selama seluruh semua sendiri seperti serta setelah sini situ soal sudah supaya
    tak tanpa tapi telah tentang terhadap tersebut tetapi tidak untuk wah ya yaitu yakni yang
    usai hingga kata ujar menurut tahun hari kali orang pihak bakal tengah jelang sebut dua tiga
    banyak belum bila kalau apabila begini hanya salah secara atas guna via vs
    """
)

ENGLISH = _words(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me more
    most my no nor not now of off on once only or other our out over own same she should so some
    such than that the their them then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your says
    said new over amid after year years day days vs via
    """
)

STOPWORDS = INDONESIAN | ENGLISH
