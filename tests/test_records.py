from pytest_mww.readers.records import frame_records, masked_crc32c


def record(payload: bytes) -> bytes:
    import struct

    header = struct.pack("<Q", len(payload))
    return (header + struct.pack("<I", masked_crc32c(header)) + payload
            + struct.pack("<I", masked_crc32c(payload)))


def test_frames_every_record_with_offsets():
    data = record(b"one") + record(b"two") + record(b"")
    framing = frame_records(data)
    assert [p for _, p in framing.records] == [b"one", b"two", b""]
    assert [o for o, _ in framing.records] == [0, 19, 38]
    assert framing.corrupt is None and framing.truncated_tail is None


def test_cut_off_last_record_keeps_the_rest_and_counts_dropped_bytes():
    data = record(b"one") + record(b"two-two")
    framing = frame_records(data[:-5])
    assert [p for _, p in framing.records] == [b"one"]
    assert framing.truncated_tail == (19, len(data) - 5 - 19)
    assert framing.corrupt is None


def test_cut_inside_header_is_a_truncated_tail():
    data = record(b"one") + record(b"two")
    framing = frame_records(data[:25])
    assert framing.truncated_tail == (19, 6)


def test_flipped_byte_in_the_middle_is_corruption_at_its_offset():
    data = bytearray(record(b"one") + record(b"two") + record(b"three"))
    data[19 + 12] ^= 0xFF  # payload of the second record
    framing = frame_records(bytes(data))
    assert [p for _, p in framing.records] == [b"one"]
    assert framing.corrupt == (19, "record data checksum mismatch")


def test_garbage_is_corrupt_at_offset_zero():
    framing = frame_records(b"this is not an event file at all, just text\n" * 3)
    assert framing.records == []
    assert framing.corrupt[0] == 0
