"""Regenerate data/common-passwords.txt from well-known password patterns (no download).

Run: .venv/bin/python tests/security/common_passwords_gen.py
The list holds the passwords that leak-corpus studies keep finding at the top (keyboard walks, digit
runs, "password"/"iloveyou" families, names of sports teams and characters, romaji words Japanese
users pick) with the suffixes people add to pass length rules. Entries are lower case; the check
lower-cases the candidate too.
"""

from __future__ import annotations

from pathlib import Path

TOP = """123456 123456789 12345678 password qwerty 12345 123123 111111 1234567 1234567890 000000 abc123
password1 iloveyou 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y qwerty123 qwertyuiop asdfghjkl zxcvbnm 1qaz2wsx
1qaz2wsx3edc qazwsx qazwsxedc zaq12wsx zaq1zaq1 !qaz2wsx passw0rd p@ssw0rd p@ssword pa$$word
letmein welcome monkey dragon master sunshine princess football baseball shadow superman batman
trustno1 starwars whatever freedom ninja mustang michael jennifer jordan23 hunter2 charlie donald
admin administrator root toor guest changeme default secret login access test tester testing
654321 987654321 0987654321 666666 888888 121212 112233 123321 7777777 1111111111 0000000000
abcdef abcdefg abcdefgh abcd1234 aaaaaa aa123456 a1b2c3 a1b2c3d4 q1w2e3r4 q1w2e3r4t5 asdf1234
asdfasdf qwerqwer zxcvbnm123 asdfghjkl123 qwertyuiop123 1234qwer qwer1234 qwert12345 qwerty12345
iloveyou1 iloveyou123 loveyou lovely love123 mylove sweetheart babygirl princess1 angel angels
sakura doraemon pikachu pokemon naruto totoro gundam anpanman hellokitty kitty tokyo osaka nara
kyoto ikoma yokohama nagoya fujisan sayonara arigatou konnichiwa ohayou daisuki aishiteru kawaii
tanaka suzuki sato takahashi watanabe yamamoto nakamura kobayashi kato yoshida yamada sasaki
yamaguchi matsumoto inoue kimura hayashi shimizu yamazaki mori abe ikeda hashimoto ishikawa
hiroshi takashi akira yuki yuuki keiko yoko kazuko hanako taro tarou ichiro jiro naoko
tigers giants carp hanshin hanshintigers yomiuri marinos gamba cerezo sanfrecce
odekake odekakemap odekake-map ikomashi nara-ken narashi shakyo shakyou
computer internet samsung google apple microsoft windows iphone android facebook twitter youtube
summer winter spring autumn flower orange banana cherry chocolate cookie coffee peanut pepper
soccer hockey tennis golf basketball liverpool chelsea arsenal barcelona realmadrid juventus
killer hacker matrix zxcvbn zxcvbn123 qweasd qweasdzxc 1qazxsw2 123qwe 123qweasd 123qweasdzxc
asd123 qwe123 zxc123 111222 123abc abc12345 abcabc pass pass123 pass1234 password12 password123
password1234 passwordpassword welcome1 welcome123 letmein1 letmein123 admin123 admin1234
administrator1 root123 guest123 test123 test1234 secret123 changeme123 master123 dragon123
monkey123 shadow123 sunshine1 football1 baseball1 superman1 batman123 starwars1 whatever1
""".split()  # noqa: SIM905  (a word list reads better as text)

WORDS = """password passw0rd p@ssword pass word secret love iloveyou hello welcome letmein admin master
dragon monkey shadow sunshine princess football baseball soccer tennis golf hockey superman batman
starwars pokemon pikachu naruto doraemon totoro sakura tokyo osaka kyoto nara ikoma japan nippon
yokohama kobe sapporo fukuoka hiroshima sendai nagoya chiba saitama odekake user login test guest
summer winter spring autumn monday friday sunday january february march april may june july
august september october november december flower orange banana apple cherry lemon melon peach
strawberry chocolate coffee cookie candy sugar honey baby angel tiger lion bear cat dog kitty
puppy rabbit panda fish bird eagle falcon horse pony chicken dragonfly butterfly rainbow star
moon sun sky ocean river mountain forest tree rose lily tulip daisy music guitar piano dance
happy lucky smile funny crazy cool super hero magic power energy ninja samurai shogun sensei
yamato mirai hikari kokoro yume sora umi hana haru natsu aki fuyu kaze tsuki hoshi ai koi
tanaka suzuki sato takahashi watanabe yamamoto nakamura kobayashi yamada sasaki yamaguchi
matsumoto inoue kimura hayashi shimizu hiroshi takashi akira yuki keiko yoko hanako taro ichiro
michael jennifer jessica ashley daniel thomas robert william charlie andrew joshua matthew
computer internet google apple samsung windows iphone android qwerty asdf zxcv abcd abc
family friends forever freedom jesus christ church heaven mother father sister brother
liverpool chelsea arsenal barcelona madrid juventus tigers giants carp hanshin
""".split()  # noqa: SIM905  (a word list reads better as text)

SUFFIXES = [
    "", "1", "12", "123", "1234", "12345", "123456", "!", "1!", "123!", "01", "2020", "2021", "2022",
    "2023", "2024", "2025", "2026", "0000", "1111", "123123",
]
PREFIXES = ["", "my"]


def generate() -> list[str]:
    found: dict[str, None] = {}

    def add(word: str) -> None:
        if 6 <= len(word) <= 64:
            found.setdefault(word.lower())

    for word in TOP:
        add(word)
    for word in WORDS:
        for prefix in PREFIXES:
            for suffix in SUFFIXES:
                add(prefix + word + suffix)
        add(word + word)
        add(word[::-1])
    digits = "12345678901234567890"
    for start in range(10):
        for length in range(6, 17):
            add(digits[start : start + length])
            add(digits[start : start + length][::-1])
    for ch in "0123456789abcdefghijklmnopqrstuvwxyz!":
        for length in range(6, 17):
            add(ch * length)
    rows = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "qazwsxedcrfvtgbyhnujmikolp", "1qaz2wsx3edc4rfv5tgb"]
    for row in rows:
        for length in range(6, len(row) + 1):
            add(row[:length])
            add(row[:length] + "123")
            add(row[:length] + "!")
    for pair in ("12", "123", "1234", "ab", "abc", "qwe", "asd"):
        for times in range(2, 6):
            add(pair * times)
    return sorted(found)


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[2] / "data" / "common-passwords.txt"
    words = generate()
    out.write_text("\n".join(words) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} passwords to {out}")
