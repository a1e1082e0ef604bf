"""Messages of uploads and attachments (app.media)."""

from __future__ import annotations

from app.core.catalogue.entry import Entry

MEDIA: dict[str, Entry] = {
    # errors[] items of a refused file.
    "media.type_refused": Entry(
        "invalid_choice",
        "Loại tệp không được chấp nhận (chấp nhận: {accepted}).",
        "This type of file is not accepted (accepted: {accepted}).",
    ),
    "media.declared_mismatch": Entry(
        "invalid_format",
        "Loại tệp khai báo không khớp với nội dung tệp.",
        "The declared content type does not match the file's content.",
    ),
    "media.extension_mismatch": Entry(
        "invalid_format",
        "Phần mở rộng của tên tệp không khớp với nội dung tệp.",
        "The file name's extension does not match the file's content.",
    ),
    "media.undecodable": Entry(
        "invalid_format", "Không đọc được ảnh.", "The image could not be decoded."
    ),
    "media.uncleanable": Entry(
        "invalid_format",
        "Không thể loại bỏ siêu dữ liệu của tệp này nên tệp không được lưu.",
        "The file's metadata could not be removed, so it is not stored.",
    ),
    "media.pixels_item": Entry(
        "out_of_range", "Quá {max_pixels} điểm ảnh.", "More than {max_pixels} pixels."
    ),
    "media.memory_item": Entry(
        "out_of_range", "Cần quá {mib} MiB bộ nhớ.", "Needs more than {mib} MiB of memory."
    ),
    # Problem details.
    "media.files_refused": Entry(
        "unsupported_media_type", "Có tệp không được chấp nhận.", "A file was refused."
    ),
    "media.too_many_pixels": Entry(
        "payload_too_large",
        "Ảnh vượt quá {max_pixels} điểm ảnh.",
        "The image has more than {max_pixels} pixels.",
    ),
    "media.too_much_memory": Entry(
        "payload_too_large",
        "Ảnh cần quá {mib} MiB bộ nhớ để xử lý.",
        "The image would need more than {mib} MiB of memory to process.",
    ),
    "media.body_too_large": Entry(
        "payload_too_large",
        "Nội dung yêu cầu vượt quá {max_bytes} byte.",
        "The request body exceeds {max_bytes} bytes.",
    ),
    "media.request_too_large": Entry(
        "payload_too_large",
        "Yêu cầu vượt quá {max_bytes} byte.",
        "The request exceeds {max_bytes} bytes.",
    ),
    "media.too_many_files": Entry(
        "payload_too_large",
        "Tối đa {max_files} tệp mỗi lần gửi.",
        "At most {max_files} files per request.",
    ),
    "media.part_too_large": Entry(
        "payload_too_large",
        "Phần '{name}' vượt quá {max_bytes} byte.",
        "Part '{name}' exceeds {max_bytes} bytes.",
    ),
    "media.file_too_large": Entry(
        "payload_too_large",
        "Mỗi tệp tối đa {max_bytes} byte.",
        "Each file may be at most {max_bytes} bytes.",
    ),
    "media.files_too_large": Entry(
        "payload_too_large",
        "Tổng dung lượng tệp tối đa {max_bytes} byte.",
        "All files together may be at most {max_bytes} bytes.",
    ),
    "media.multipart_header_too_long": Entry(
        "validation_error", "Phần đầu multipart quá dài.", "Multipart header too long."
    ),
    "media.multipart_part_unnamed": Entry(
        "validation_error", "Phần multipart thiếu tên.", "A multipart part has no name."
    ),
    "media.multipart_truncated": Entry(
        "validation_error", "Nội dung multipart bị cắt cụt.", "The multipart body is truncated."
    ),
    "media.multipart_malformed": Entry(
        "validation_error", "Nội dung multipart không hợp lệ.", "The multipart body is malformed."
    ),
    "media.attachment_not_found": Entry(
        "not_found", "Không tìm thấy tệp đính kèm.", "Attachment not found."
    ),
    "media.file_gone": Entry(
        "not_found", "Tệp không còn được lưu trữ.", "The file is no longer stored."
    ),
}
