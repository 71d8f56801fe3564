"""The text-only multipart fast path gives exactly what Werkzeug's parser gives, or leaves the body to it."""
import io
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.formparser import FormDataParser

from app.formparser import FAST_LIMIT, TextFormDataParser, split_text_form

BOUNDARY = "----test-boundary-42"


def body_of(fields, boundary=BOUNDARY, content_type=False, epilogue=b""):
    out = b""
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'.encode()
        if content_type:
            out += b"Content-Type: text/plain; charset=utf-8\r\n"
        out += b"\r\n" + value.encode() + b"\r\n"
    return out + f"--{boundary}--\r\n".encode() + epilogue


def parse(parser, body, boundary=BOUNDARY):
    _stream, form, files = parser.parse(io.BytesIO(body), "multipart/form-data", len(body),
                                        {"boundary": boundary})
    stored = []
    for name, f in files.items(multi=True):
        stored.append((name, f.filename, f.content_type, f.read()))
        f.close()
    return list(form.items(multi=True)), stored


def both(body, boundary=BOUNDARY):
    fast, slow = parse(TextFormDataParser(), body, boundary), parse(FormDataParser(), body, boundary)
    assert fast == slow
    return fast


names = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e, exclude_characters='"\\%*'),
                max_size=20)
values = st.text(max_size=200).filter(lambda v: BOUNDARY not in v)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(names, values), max_size=8), st.booleans())
def test_generated_text_forms_parse_exactly_as_werkzeug_does(fields, content_type):
    body = body_of(fields, content_type=content_type)
    form, files = both(body)
    if fields and len(body) <= FAST_LIMIT:  # (an empty form is left to Werkzeug)
        assert split_text_form(body, BOUNDARY.encode()) is not None   # and it was the fast path that answered
    assert files == []
    assert len(form) == len(fields)


def test_the_report_form_with_umlauts_crlf_and_empty_values():
    fields = [("lat", "49.1427"), ("lon", "9.2109"), ("category", "graffiti"), ("offensive", ""),
              ("description", "Schriftzug „Grüße“\r\nan der Wand -- zweite Zeile\r\n--"), ("email", "")]
    assert both(body_of(fields)) == (fields, [])


def test_bodies_the_fast_path_leaves_to_werkzeug():
    text = body_of([("lat", "49.1")])
    with_file = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n").encode() + b"\xff\xd8\xff\r\n" \
        + f"--{BOUNDARY}--\r\n".encode()
    odd = [
        with_file,                                                        # a file part
        b"preamble\r\n" + text,                                           # a preamble
        text + b"epilogue",                                               # an epilogue
        text.replace(b'name="lat"', b"name=lat"),                         # an unquoted name
        text.replace(b'name="lat"', b'name="l\\"at"'),                    # an escaped quote
        text.replace(b'name="lat"', b"name*=UTF-8''l%C3%A4t"),            # an RFC 2231 name
        text.replace(b"49.1", "ä".encode("latin-1")),                     # text that is not UTF-8
        text.replace(b"form-data;", b"form-data; foo=bar;"),              # another parameter
        text.replace(b"\r\n\r\n", b"\r\nX-Extra: 1\r\n\r\n"),             # another header
        text.replace(b"Content-Disposition: form-data", b"Content-Disposition: attachment"),
        text[:-4],                                                        # no closing delimiter
    ]
    for body in odd:
        assert split_text_form(body, BOUNDARY.encode()) is None
        both(body)
    assert both(with_file)[1][0][0] == "photos"


def test_limits_are_werkzeugs():
    import pytest
    from werkzeug.exceptions import RequestEntityTooLarge

    body = body_of([(f"f{i}", "x") for i in range(5)])
    for parser in (TextFormDataParser(max_form_parts=3), FormDataParser(max_form_parts=3)):
        with pytest.raises(RequestEntityTooLarge):
            parse(parser, body)
    big = body_of([("description", "y" * 2000)])
    for parser in (TextFormDataParser(max_form_memory_size=1000), FormDataParser(max_form_memory_size=1000)):
        with pytest.raises(RequestEntityTooLarge):
            parse(parser, big)


def test_random_bytes_never_disagree():
    rng = random.Random(3)
    base = body_of([("a", "1"), ("b", "zwei")])
    for _ in range(3000):
        body = bytearray(base)
        for _k in range(rng.randint(1, 3)):
            body[rng.randrange(len(body))] = rng.randrange(256)
        if split_text_form(bytes(body), BOUNDARY.encode()) is not None:
            both(bytes(body))


def test_the_app_uses_it(app):
    assert app.request_class.form_data_parser_class is TextFormDataParser
