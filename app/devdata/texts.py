"""The words generated tips are made of: descriptions per category, names, addresses.

Descriptions are assembled from pieces joined by single spaces; each piece is folded once
(``fold`` is per character, so ``fold(" ".join(p)) == " ".join(fold(p) for p in p)`` for
pieces without outer white space), which keeps ``search_text`` exact and cheap.
"""

from __future__ import annotations

OPENINGS: dict[str, tuple[str, ...]] = {
    "violent_crime": (
        "Hai nhóm thanh niên đánh nhau bằng hung khí",
        "Một người đàn ông bị đánh trọng thương",
        "Đối tượng cầm dao đe dọa và cướp tài sản của người đi đường",
        "Chồng thường xuyên đánh đập vợ con gây thương tích",
        "Có vụ cố ý gây thương tích tại quán nhậu",
    ),
    "theft_fraud": (
        "Bị kẻ gian trộm xe máy dựng trước nhà",
        "Đối tượng đi xe máy giật điện thoại của người đi bộ",
        "Nhiều hộ dân bị trộm đột nhập lấy tiền và vàng",
        "Một người vay tiền của nhiều hộ rồi bỏ trốn",
        "Nhóm cho vay nặng lãi đe dọa người vay",
        "Cửa hàng tạp hóa bị trộm cắp tài sản ban đêm",
    ),
    "drugs": (
        "Nhóm thanh niên tụ tập sử dụng ma túy",
        "Có dấu hiệu mua bán trái phép chất ma túy",
        "Một căn nhà thường xuyên có người lạ ra vào nghi sử dụng ma túy",
        "Phát hiện bơm kim tiêm vứt bừa bãi",
    ),
    "gambling_prostitution": (
        "Một nhóm người tổ chức đánh bạc ăn tiền",
        "Có điểm cá độ bóng đá qua mạng",
        "Cơ sở massage có dấu hiệu hoạt động mại dâm",
        "Sới gà ăn tiền hoạt động thường xuyên",
    ),
    "online_fraud": (
        "Bị lừa chuyển tiền khi được mời làm nhiệm vụ trên mạng",
        "Đối tượng giả danh công an gọi điện yêu cầu chuyển tiền",
        "Tài khoản mạng xã hội bị chiếm đoạt và dùng để vay tiền người quen",
        "Sàn đầu tư tiền ảo không rút được tiền",
        "Nhận tin nhắn giả mạo ngân hàng chứa đường link lạ",
    ),
    "national_security": (
        "Phát hiện tài liệu kích động chống phá chính quyền",
        "Một nhóm người tụ tập tuyên truyền trái phép",
        "Người lạ chụp ảnh khu vực quân sự",
    ),
    "weapons_explosives": (
        "Phát hiện vật nghi là bom mìn còn sót lại",
        "Người dân muốn giao nộp súng tự chế",
        "Có người tàng trữ và mua bán pháo nổ",
        "Thanh niên mang theo dao, kiếm khi đi đường",
    ),
    "public_disorder": (
        "Nhóm thanh niên tụ tập đua xe, lạng lách",
        "Quán karaoke mở nhạc to quá giờ quy định",
        "Một nhóm người say rượu gây rối trật tự",
        "Người ăn xin có dấu hiệu bị tổ chức, chăn dắt",
    ),
    "neighbour_dispute": (
        "Hai gia đình mâu thuẫn về ranh giới đất",
        "Hàng xóm xô xát vì tiếng ồn",
        "Tranh chấp lối đi chung giữa các hộ dân",
        "Mâu thuẫn trong dòng họ có nguy cơ xô xát",
    ),
    "fire_hazard": (
        "Cơ sở kinh doanh chứa nhiều hàng dễ cháy",
        "Nhà trọ không có lối thoát nạn",
        "Đường dây điện chằng chịt có nguy cơ chập cháy",
        "Điểm sang chiết gas trái phép trong khu dân cư",
    ),
    "traffic_safety": (
        "Đoạn đường thường xuyên xảy ra tai nạn",
        "Xe tải chở quá tải làm hư hỏng đường",
        "Hàng quán lấn chiếm lòng đường",
        "Đèn tín hiệu giao thông bị hỏng nhiều ngày",
    ),
    "hostile_online_content": (
        "Trang mạng xã hội đăng tin sai sự thật về chính quyền địa phương",
        "Tài khoản mạng xã hội xúc phạm cán bộ",
        "Nhóm trên mạng lan truyền thông tin kích động",
    ),
    "environment": (
        "Cơ sở sản xuất xả nước thải ra kênh",
        "Khai thác cát trái phép ban đêm",
        "Đổ trộm rác thải xây dựng",
        "Lò đốt rác gây khói bụi",
    ),
    "other": (
        "Có người lạ đến ở trọ không khai báo tạm trú",
        "Xe lạ đỗ lâu ngày trước cổng trường",
        "Đề nghị tăng cường tuần tra khu vực",
    ),
}

WHEN = (
    "vào buổi tối",
    "khoảng 21 giờ hằng ngày",
    "nhiều ngày nay",
    "vào sáng sớm",
    "cuối tuần qua",
    "trong đêm qua",
    "từ đầu tháng",
)

DETAILS = (
    "Người dân xung quanh rất lo lắng.",
    "Đề nghị công an kiểm tra, xử lý.",
    "Sự việc kéo dài, gây mất an ninh trật tự.",
    "Tôi có thể cung cấp thêm thông tin nếu cần.",
    "Đã nhắc nhở nhưng không có chuyển biến.",
    "Mong cơ quan chức năng sớm vào cuộc.",
    "Có người quay được video sự việc.",
)

STREETS = (
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Hai Bà Trưng",
    "Quang Trung",
    "Lý Thường Kiệt",
    "Hùng Vương",
    "Phan Đình Phùng",
)

PERSONS = (
    "Một nhóm khoảng 3 đến 5 thanh niên",
    "Một người đàn ông khoảng 40 tuổi",
    "Chủ cơ sở kinh doanh",
    "Hai đối tượng đi xe máy không biển số",
)

VICTIMS = ("Người bán hàng rong", "Một học sinh", "Gia đình hàng xóm", "Chủ cửa hàng")

FAMILY_NAMES = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
)
MIDDLE_NAMES = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quốc")
GIVEN_NAMES = (
    ("An", "an"),
    ("Bình", "binh"),
    ("Cường", "cuong"),
    ("Dũng", "dung"),
    ("Hà", "ha"),
    ("Hải", "hai"),
    ("Hạnh", "hanh"),
    ("Hoa", "hoa"),
    ("Hùng", "hung"),
    ("Hương", "huong"),
    ("Lan", "lan"),
    ("Linh", "linh"),
    ("Long", "long"),
    ("Mai", "mai"),
    ("Nam", "nam"),
    ("Phương", "phuong"),
    ("Quân", "quan"),
    ("Sơn", "son"),
    ("Thảo", "thao"),
    ("Trang", "trang"),
    ("Tuấn", "tuan"),
    ("Vy", "vy"),
)

ORGANIZATIONS = (
    "Công ty TNHH Thương mại Hòa Bình",
    "Trường THCS Lê Quý Đôn",
    "Ban quản lý chợ trung tâm",
    "Hợp tác xã Nông nghiệp Thành Công",
)

MOVEMENT_MODELS = (
    "Tổ an ninh nhân dân tự quản",
    "Camera an ninh",
    "Tiếng kẻng an ninh",
    "Dòng họ tự quản về ANTT",
    "An toàn trường học",
    "Cụm giáp ranh an toàn về ANTT",
    "Đội xe ôm phòng chống tội phạm",
    "Xứ họ đạo bình yên",
)

OUTCOME_SUMMARIES: dict[str, str] = {
    "prosecuted": "Đã khởi tố vụ án, tiếp tục điều tra theo quy định.",
    "not_prosecuted": "Kết quả xác minh không có dấu hiệu tội phạm; quyết định không khởi tố.",
    "handled": "Đã kiểm tra, xử lý vi phạm theo quy định.",
    "mediated": "Đã phối hợp hòa giải, các bên thống nhất giải quyết.",
    "unfounded": "Kết quả xác minh nội dung phản ánh không có cơ sở.",
    "noted": "Đã ghi nhận, tăng cường tuần tra, kiểm soát địa bàn.",
}

REFER_NOTES = (
    "Không thuộc thẩm quyền của Công an; đã chuyển UBND xã giải quyết.",
    "Chuyển cơ quan chuyên ngành có thẩm quyền xử lý.",
)
REJECT_NOTES = (
    "Nội dung phản ánh không rõ ràng, không đủ cơ sở xác minh.",
    "Sự việc đã được giải quyết trước đó.",
)
MERGE_NOTE = "Trùng nội dung với tin báo đã tiếp nhận."
TRANSFER_REASON = "Chuyển Cơ quan CSĐT xác minh, giải quyết theo thẩm quyền (Điều 146 BLTTHS)."
RESUME_NOTE = "Đã nhận đủ thông tin bổ sung."
ASK_INFO_NOTE = "Đề nghị người báo cung cấp thêm thông tin."
