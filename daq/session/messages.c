/* The session's words, Vietnamese and English (messages.h). Vietnamese
 * terms follow the vocabulary of ../shared/reference/protocols.md section 5
 * (quả cân chuẩn, đĩa cân, áp suất, thiết bị hiệu chuẩn, Đạt / Không đạt). */
#include "messages.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const en[M_COUNT] = {
    [M_SESSION_START] = "Calibration: %s\nInstrument under calibration: %s\n",
    [M_INSTRUMENT] = "Instrument reports: %s %s, serial %s\n",
    [M_STANDARD_OK] = "Reference standard %s (certificate %s), due %s: in date\n",
    [M_ENV_NOT_MEASURED] = "Environmental conditions: not measured\n",
    [M_ENV] = "Environmental conditions: %.1f °C, %.0f %%RH\n",
    [M_POINT] = "\n[%zu/%zu] ",
    [M_PLACE_LOAD] = "Place %s %s on the pan",
    [M_PLACE_PIECES] = "Place %s %s on the pan (%s)",
    [M_REMOVE_LOAD] = "Remove all load from the pan",
    [M_REPEAT_LOAD] = "Place %s %s on the centre of the pan, reading %u of %u (lift it off between readings)",
    [M_ECC_POSITION] = "Place %s %s at position: %s",
    [M_PRESSURE_UP] = "Raise the pressure to %s %s (increasing)",
    [M_PRESSURE_DOWN] = "Lower the pressure to %s %s (decreasing)",
    [M_VENT] = "Vent the gauge to atmosphere (0)",
    [M_SET_CALIBRATOR] = "Set the calibrator to %s %s DC (meter range %s %s)",
    [M_ENTER_WHEN_READY] = " — Enter when ready: ",
    [M_READING_STABLE] = "\r  %s %s  stable        \n",
    [M_READING_UNSTABLE] = "\r  %s %s  ~ settling ",
    [M_POINT_SAVED] = "  saved: %zu reading(s) in %s\n",
    [M_AFTER_POINT] = "  Enter: next point · r: repeat this point · n: add a note · a: abort > ",
    [M_NOTE_PROMPT] = "  Note: ",
    [M_NOTE_SAVED] = "  note saved in the run's log\n",
    [M_SKIPPED] = "  point skipped (recorded in the run's log)\n",
    [M_REPEATING] = "  repeating this point; the earlier readings stay in the run\n",
    [M_ABORTED] = "\nSession aborted. Every finished point is saved in %s.\n"
                  "To continue later:\n  %s\n",
    [M_INSTRUMENT_LOST] = "\nPoint %zu could not be measured: %s\n"
                          "Every finished point is saved in %s.\n"
                          "Check the cable, the power and the instrument's interface settings, "
                          "then continue with:\n  %s\n",
    [M_COMPLETE] = "\nCalibration complete. Run file: %s\n",
    [M_VERDICT] = "Overall verdict: %s\n",
    [M_RESULTS_STORED] = "Results stored in the run as version %d\n",
    [M_RESUMED] = "Resuming at point %zu of %zu\n",
    [M_COL_NOMINAL] = "nominal",
    [M_COL_MEAN] = "indication",
    [M_COL_ERROR] = "error",
    [M_COL_VERDICT] = "verdict",
    [M_PASS] = "PASS",
    [M_FAIL] = "FAIL",
    [M_CONDITIONAL_PASS] = "CONDITIONAL PASS",
    [M_CONDITIONAL_FAIL] = "CONDITIONAL FAIL",
    [M_INCOMPLETE] = "INCOMPLETE",
    [M_NOT_MEASURED] = "not measured",
    [M_ASK_ENV] = "Temperature (°C) and humidity (%%RH) at the %s, e.g. 21.5,50 — Enter if not measured: ",
    [M_SENSOR_FAILED] = "The thermo-hygrometer did not answer (%s): conditions recorded as not measured\n",
    [M_NOT_SETTLED] = "\nThe reading did not settle at point %zu: %s\n"
                      "Every finished point is saved in %s.\n"
                      "Check for draughts, vibration, a load still moving or a source still "
                      "settling, then continue with:\n  %s\n",
    [M_NOTE_CUT] = "  (the note is kept to its first %zu bytes)\n",
    [M_RUN_NOT_WRITTEN] = "\nPoint %zu could not be saved: %s\n"
                          "Every finished point is saved in %s.\n"
                          "The instrument is not at fault: make room on the disk that holds the "
                          "run file (or put right what the message says), then continue with:\n"
                          "  %s\n",
    [M_VERIFICATION_START] = "Verification: %s\nInstrument under verification: %s\n",
    [M_ASK_TYPED] = "Type the reading of the %s at point %s %s: ",
    [M_TYPED_REFUSED] = "  Not accepted: %s. Type it again.\n",
    [M_TYPED_NOT_NUMBER] = "'%s' is not a number (digits, with a decimal point or comma)",
    [M_TYPED_RANGE] = "%s is outside the instrument's range %s to %s %s",
    [M_TYPED_DIGITS] = "'%s' has more digits than the resolution %s %s allows",
    [M_TYPED_FAR] = "%s %s is far from the nominal %s %s (more than %s times the MPE)",
    [M_TYPED_CONFIRM] = "  Keep this value? (y: yes, anything else: type it again) ",
    [M_CHECK_STAGE_EXTERNAL] = "External inspection",
    [M_CHECK_STAGE_TECHNICAL] = "Technical inspection",
    [M_ASK_CHECK] = "  %s — d: pass (đạt) · k: fail (không đạt): ",
    [M_CHECK_SAVED] = "  saved: %s\n", /* a typed reading or a checklist answer */
    [M_CHECK_ANSWER_BAD] = "'%s': answer d (pass) or k (fail)",
    [M_CHECK_FAILED_STOP] = "Failed: %s. The instrument does not pass; the metrological test is "
                            "not carried out.\n",
    [M_SET_ITEM] = "Bring the %s to %s %s",
    [M_SET_REFERENCE] = "Set the %s to %s %s",
    [M_BATH] = "Set the bath to %s %s and wait until it is stable",
    [M_ITEM_DEFAULT] = "instrument",
    [M_REF_DEFAULT] = "reference",
    [M_VERIFIED_COMPLETE] = "\nVerification complete. Run file: %s\n",
    [M_CYCLE] = "Verification cycle (%s): %d months\n",
    [M_REF_INSTRUMENT] = "Reference instrument reports: %s %s, serial %s\n",
    [M_SOURCE_INSTRUMENT] = "Source reports: %s %s, serial %s\n",
    [M_SOURCE_MANUAL] = "The profile names a source (%s) and no --source-port was given: each "
                        "point is set by hand\n",
    [M_SOURCE_LIVE_IN] = "\r  set %s %s  actual %s %s  %s  stable, %.0f s to go   ",
    [M_SOURCE_LIVE_OUT] = "\r  set %s %s  actual %s %s  %s  outside ±%s %s   ",
    [M_SOURCE_REACHED] = "[%zu/%zu] set point %s %s: within ±%s %s for %.1f s, after %.1f s "
                         "(actual %s %s)\n",
    [M_SOURCE_VENTED] = "The pressure controller is vented (safe state)\n",
    [M_SOURCE_LEFT] = "The bath is left at its set point %s %s (safe state)\n",
    [M_SOURCE_NOT_SETTLED] = "\nThe source did not settle at point %zu: %s\n"
                             "The source is in its safe state. Every finished point is saved in "
                             "%s.\nCheck the source (its supply, leaks, the set point within its "
                             "range), then continue with:\n  %s\n",
    [M_RESULTS_NOT_STORED] = "\nThe calibration is complete in %s, but its results could not be "
                             "stored: %s\n"
                             "Make room on the disk that holds the run file, then store them "
                             "with:\n  caldaq analyze %s --write\n",
    [M_BEFORE_KEYS] = " (s: skip this point · a: abort)",
    [M_UNKNOWN_BEFORE] = "  '%s' is not a key here: Enter when ready, s to skip this point, a to "
                         "abort\n",
    [M_UNKNOWN_AFTER] = "  '%s' is not a key here: Enter, r, n or a\n",
};

static const char *const vi[M_COUNT] = {
    [M_SESSION_START] = "Hiệu chuẩn: %s\nPhương tiện đo được hiệu chuẩn: %s\n",
    [M_INSTRUMENT] = "Thiết bị báo: %s %s, số sê-ri %s\n",
    [M_STANDARD_OK] = "Chuẩn đo lường %s (giấy chứng nhận %s), hạn %s: còn hiệu lực\n",
    [M_ENV_NOT_MEASURED] = "Điều kiện môi trường: không đo\n",
    [M_ENV] = "Điều kiện môi trường: %.1f °C, %.0f %%RH\n",
    [M_POINT] = "\n[%zu/%zu] ",
    [M_PLACE_LOAD] = "Đặt quả cân %s %s lên đĩa cân",
    [M_PLACE_PIECES] = "Đặt quả cân %s %s lên đĩa cân (%s)",
    [M_REMOVE_LOAD] = "Bỏ hết tải khỏi đĩa cân",
    [M_REPEAT_LOAD] = "Đặt quả cân %s %s vào giữa đĩa cân, lần đọc %u/%u (nhấc ra giữa các lần đọc)",
    [M_ECC_POSITION] = "Đặt quả cân %s %s ở vị trí: %s",
    [M_PRESSURE_UP] = "Tăng áp suất đến %s %s (chiều tăng)",
    [M_PRESSURE_DOWN] = "Giảm áp suất đến %s %s (chiều giảm)",
    [M_VENT] = "Xả áp kế về áp suất khí quyển (0)",
    [M_SET_CALIBRATOR] = "Đặt thiết bị hiệu chuẩn ra %s %s một chiều (thang đo của đồng hồ %s %s)",
    [M_ENTER_WHEN_READY] = " — nhấn Enter khi sẵn sàng: ",
    [M_READING_STABLE] = "\r  %s %s  ổn định        \n",
    [M_READING_UNSTABLE] = "\r  %s %s  ~ đang ổn định ",
    [M_POINT_SAVED] = "  đã lưu: %zu số đọc vào %s\n",
    [M_AFTER_POINT] = "  Enter: điểm tiếp theo · r: đo lại điểm này · n: ghi chú · a: dừng > ",
    [M_NOTE_PROMPT] = "  Ghi chú: ",
    [M_NOTE_SAVED] = "  đã lưu ghi chú vào nhật ký của lần đo\n",
    [M_SKIPPED] = "  đã bỏ qua điểm này (ghi vào nhật ký)\n",
    [M_REPEATING] = "  đo lại điểm này; các số đọc trước vẫn được giữ trong tệp\n",
    [M_ABORTED] = "\nĐã dừng phiên làm việc. Mọi điểm đã đo xong được lưu trong %s.\n"
                  "Để tiếp tục sau:\n  %s\n",
    [M_INSTRUMENT_LOST] = "\nKhông đo được điểm %zu: %s\n"
                          "Mọi điểm đã đo xong được lưu trong %s.\n"
                          "Kiểm tra cáp, nguồn điện và cài đặt giao tiếp của thiết bị, "
                          "rồi tiếp tục bằng lệnh:\n  %s\n",
    [M_COMPLETE] = "\nHiệu chuẩn xong. Tệp kết quả đo: %s\n",
    [M_VERDICT] = "Kết luận chung: %s\n",
    [M_RESULTS_STORED] = "Kết quả đã lưu vào tệp, phiên bản %d\n",
    [M_RESUMED] = "Tiếp tục từ điểm %zu/%zu\n",
    [M_COL_NOMINAL] = "danh định",
    [M_COL_MEAN] = "số chỉ",
    [M_COL_ERROR] = "sai số",
    [M_COL_VERDICT] = "kết luận",
    [M_PASS] = "ĐẠT",
    [M_FAIL] = "KHÔNG ĐẠT",
    [M_CONDITIONAL_PASS] = "ĐẠT CÓ ĐIỀU KIỆN",
    [M_CONDITIONAL_FAIL] = "KHÔNG ĐẠT CÓ ĐIỀU KIỆN",
    [M_INCOMPLETE] = "CHƯA ĐỦ ĐIỂM ĐO",
    [M_NOT_MEASURED] = "chưa đo",
    [M_ASK_ENV] = "Nhiệt độ (°C) và độ ẩm (%%RH) lúc %s, ví dụ 21.5,50 — nhấn Enter nếu không đo: ",
    [M_SENSOR_FAILED] = "Ẩm nhiệt kế không trả lời (%s): điều kiện môi trường ghi là không đo\n",
    [M_NOT_SETTLED] = "\nSố chỉ không ổn định được ở điểm %zu: %s\n"
                      "Mọi điểm đã đo xong được lưu trong %s.\n"
                      "Kiểm tra gió lùa, rung động, tải còn dao động hoặc nguồn chưa ổn định, "
                      "rồi tiếp tục bằng lệnh:\n  %s\n",
    [M_NOTE_CUT] = "  (ghi chú chỉ giữ %zu byte đầu)\n",
    [M_RUN_NOT_WRITTEN] = "\nKhông lưu được điểm %zu: %s\n"
                          "Mọi điểm đã đo xong được lưu trong %s.\n"
                          "Thiết bị không có lỗi: hãy giải phóng dung lượng trên ổ đĩa chứa tệp "
                          "kết quả đo (hoặc khắc phục điều thông báo nêu), "
                          "rồi tiếp tục bằng lệnh:\n  %s\n",
    [M_VERIFICATION_START] = "Kiểm định: %s\nPhương tiện đo được kiểm định: %s\n",
    [M_ASK_TYPED] = "Nhập số chỉ của %s tại điểm %s %s: ",
    [M_TYPED_REFUSED] = "  Không nhận: %s. Hãy nhập lại.\n",
    [M_TYPED_NOT_NUMBER] = "'%s' không phải là số (chữ số, dấu thập phân là dấu chấm hoặc dấu phẩy)",
    [M_TYPED_RANGE] = "%s nằm ngoài phạm vi đo %s đến %s %s",
    [M_TYPED_DIGITS] = "'%s' có nhiều chữ số hơn độ phân giải %s %s cho phép",
    [M_TYPED_FAR] = "%s %s khác xa giá trị danh định %s %s (quá %s lần sai số lớn nhất cho phép)",
    [M_TYPED_CONFIRM] = "  Giữ giá trị này? (c: có, phím khác: nhập lại) ",
    [M_CHECK_STAGE_EXTERNAL] = "Kiểm tra bên ngoài",
    [M_CHECK_STAGE_TECHNICAL] = "Kiểm tra kỹ thuật",
    [M_ASK_CHECK] = "  %s — d: đạt · k: không đạt: ",
    [M_CHECK_SAVED] = "  đã lưu: %s\n",
    [M_CHECK_ANSWER_BAD] = "'%s': trả lời d (đạt) hoặc k (không đạt)",
    [M_CHECK_FAILED_STOP] = "Không đạt: %s. Phương tiện đo không đạt; không tiến hành kiểm tra đo "
                            "lường.\n",
    [M_SET_ITEM] = "Đưa %s đến %s %s",
    [M_SET_REFERENCE] = "Đặt %s đến %s %s",
    [M_BATH] = "Đặt bể điều nhiệt ở %s %s và chờ ổn định",
    [M_ITEM_DEFAULT] = "phương tiện đo",
    [M_REF_DEFAULT] = "chuẩn",
    [M_VERIFIED_COMPLETE] = "\nKiểm định xong. Tệp kết quả đo: %s\n",
    [M_CYCLE] = "Chu kỳ kiểm định (%s): %d tháng\n",
    [M_REF_INSTRUMENT] = "Chuẩn đo lường báo: %s %s, số sê-ri %s\n",
    [M_SOURCE_INSTRUMENT] = "Nguồn tạo báo: %s %s, số sê-ri %s\n",
    [M_SOURCE_MANUAL] = "Quy trình có nguồn tạo (%s) nhưng không có --source-port: mỗi điểm "
                        "được đặt bằng tay\n",
    [M_SOURCE_LIVE_IN] = "\r  đặt %s %s  thực %s %s  %s  ổn định, còn %.0f s   ",
    [M_SOURCE_LIVE_OUT] = "\r  đặt %s %s  thực %s %s  %s  ngoài ±%s %s   ",
    [M_SOURCE_REACHED] = "[%zu/%zu] điểm đặt %s %s: trong ±%s %s suốt %.1f s, sau %.1f s "
                         "(thực %s %s)\n",
    [M_SOURCE_VENTED] = "Bộ điều khiển áp suất đã xả về khí quyển (trạng thái an toàn)\n",
    [M_SOURCE_LEFT] = "Bể ổn nhiệt được giữ ở điểm đặt %s %s (trạng thái an toàn)\n",
    [M_SOURCE_NOT_SETTLED] = "\nNguồn tạo không ổn định được ở điểm %zu: %s\n"
                             "Nguồn tạo đã ở trạng thái an toàn. Mọi điểm đã đo được lưu trong "
                             "%s.\nHãy kiểm tra nguồn tạo (nguồn cấp, rò rỉ, điểm đặt trong "
                             "phạm vi), rồi tiếp tục bằng:\n  %s\n",
    [M_RESULTS_NOT_STORED] = "\nHiệu chuẩn đã xong trong %s, nhưng không lưu được kết quả: %s\n"
                             "Hãy giải phóng dung lượng trên ổ đĩa chứa tệp kết quả đo, rồi lưu "
                             "kết quả bằng lệnh:\n  caldaq analyze %s --write\n",
    [M_BEFORE_KEYS] = " (s: bỏ qua điểm này · a: dừng)",
    [M_UNKNOWN_BEFORE] = "  '%s' không phải là phím dùng ở đây: nhấn Enter khi sẵn sàng, s để bỏ "
                         "qua điểm này, a để dừng\n",
    [M_UNKNOWN_AFTER] = "  '%s' không phải là phím dùng ở đây: Enter, r, n hoặc a\n",
};

const char *msg_text(enum lang l, enum msg m)
{
    if ((int)m < 0 || m >= M_COUNT)
        return "?";
    const char *s = (l == LANG_VI ? vi : en)[m];
    return s != NULL ? s : en[m] != NULL ? en[m] : "?";
}

int lang_parse(const char *name, enum lang *out)
{
    if (name == NULL)
        return -1;
    if (strncasecmp(name, "vi", 2) == 0 && (name[2] == '\0' || name[2] == '_' || name[2] == '-' ||
                                            name[2] == '.')) {
        *out = LANG_VI;
        return 0;
    }
    if (strncasecmp(name, "en", 2) == 0 && (name[2] == '\0' || name[2] == '_' || name[2] == '-' ||
                                            name[2] == '.')) {
        *out = LANG_EN;
        return 0;
    }
    return -1;
}

enum lang lang_from_environment(void)
{
    const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v != NULL && v[0] != '\0') {
            enum lang l;
            return lang_parse(v, &l) == 0 ? l : LANG_EN;
        }
    }
    return LANG_EN;
}

const char *msg_position(enum lang l, const char *name)
{
    static const struct {
        const char *en, *vi;
    } pos[] = {
        {"centre", "giữa đĩa"},          {"center", "giữa đĩa"},
        {"front", "phía trước"},          {"back", "phía sau"},
        {"left", "bên trái"},             {"right", "bên phải"},
        {"front-left", "trước bên trái"}, {"front-right", "trước bên phải"},
        {"back-left", "sau bên trái"},    {"back-right", "sau bên phải"},
    };
    if (l != LANG_VI)
        return name;
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
        if (strcasecmp(pos[i].en, name) == 0)
            return pos[i].vi;
    return name;
}

void msg_pad(FILE *f, const char *s, int width, int right)
{
    int shown = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        shown += (*c & 0xC0) != 0x80;
    if (right)
        fprintf(f, "%*s%s", width > shown ? width - shown : 0, "", s);
    else
        fprintf(f, "%s%*s", s, width > shown ? width - shown : 0, "");
}
