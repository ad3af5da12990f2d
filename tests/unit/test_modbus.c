/* Modbus: word orders, CRC16/MODBUS against the byte examples of
 * reference/protocols.md 3.1-3.2, drv_modbus (libmodbus) against our
 * simulator over TCP and RTU, device exceptions and bad CRCs turned into
 * cd_err, recorded sessions, and a real peer: Debian's pymodbus server
 * (tests/peers/modbus_server.py) read in all four word orders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drv.h"
#include "modbus_harness.h"
#include "modbus_words.h"
#include "test_support.h"

extern char **environ;

#define PEER_SCRIPT "tests/peers/modbus_server.py"
#define PEER_CLIENT "tests/peers/modbus_client.py"
#define PYTHON "/usr/bin/python3"

static const char *const order_names[] = {"ABCD", "CDAB", "BADC", "DCBA"};

/* 1.2345f = 0x3F9E0419 as the registers of protocols.md 3.2's table. */
static const uint16_t float_regs[4][2] = {
    {0x3F9E, 0x0419},   /* ABCD: 3F 9E 04 19 */
    {0x0419, 0x3F9E},   /* CDAB: 04 19 3F 9E */
    {0x9E3F, 0x1904},   /* BADC: 9E 3F 19 04 */
    {0x1904, 0x9E3F},   /* DCBA: 19 04 9E 3F */
};

/* ------------------------------------------------------------ pure */

static void test_word_orders_float(void **state)
{
    (void)state;
    for (int o = 0; o < 4; o++) {
        enum drv_modbus_order order;
        assert_int_equal(drv_modbus_order_parse(order_names[o], &order), 0);
        assert_int_equal(order, o);
        assert_string_equal(drv_modbus_order_name(order), order_names[o]);
        /* decode: libmodbus's getter and our own integer path agree */
        assert_true(drv_modbus_get_float(float_regs[o], order) == 1.2345f);
        assert_int_equal(drv_modbus_get_u32(float_regs[o], order), 0x3F9E0419u);
        /* encode (our own; libmodbus 3.1.6's setters get the order wrong) */
        uint16_t regs[2] = {0, 0};
        drv_modbus_set_float(1.2345f, order, regs);
        assert_int_equal(regs[0], float_regs[o][0]);
        assert_int_equal(regs[1], float_regs[o][1]);
        drv_modbus_set_u32(0x3F9E0419u, order, regs);
        assert_int_equal(regs[0], float_regs[o][0]);
        assert_int_equal(regs[1], float_regs[o][1]);
    }
    enum drv_modbus_order order;
    assert_int_equal(drv_modbus_order_parse("cdab", &order), 0);
    assert_int_equal(order, DRV_MODBUS_CDAB);
    assert_int_equal(drv_modbus_order_parse("ABDC", &order), -1);
    assert_int_equal(drv_modbus_order_parse("", &order), -1);
    assert_int_equal(drv_modbus_order_parse(NULL, &order), -1);

    /* Non-finite values survive (KELLER: NaN channel error, ±Inf overflow). */
    for (int o = 0; o < 4; o++) {
        uint16_t regs[2];
        drv_modbus_set_float(-INFINITY, (enum drv_modbus_order)o, regs);
        assert_true(isinf(drv_modbus_get_float(regs, (enum drv_modbus_order)o)));
        drv_modbus_set_float(NAN, (enum drv_modbus_order)o, regs);
        assert_true(isnan(drv_modbus_get_float(regs, (enum drv_modbus_order)o)));
    }
}

static void test_word_orders_int32(void **state)
{
    (void)state;
    /* 0x12345678 = A B C D with four distinct bytes. */
    static const uint16_t regs_1234[4][2] = {
        {0x1234, 0x5678}, {0x5678, 0x1234}, {0x3412, 0x7856}, {0x7856, 0x3412}};
    /* -123456789 = 0xF8A432EB: a sign bit to carry. */
    static const uint16_t regs_neg[4][2] = {
        {0xF8A4, 0x32EB}, {0x32EB, 0xF8A4}, {0xA4F8, 0xEB32}, {0xEB32, 0xA4F8}};
    for (int o = 0; o < 4; o++) {
        enum drv_modbus_order order = (enum drv_modbus_order)o;
        assert_int_equal(drv_modbus_get_u32(regs_1234[o], order), 0x12345678u);
        assert_int_equal(drv_modbus_get_i32(regs_1234[o], order), 0x12345678);
        assert_int_equal(drv_modbus_get_i32(regs_neg[o], order), -123456789);
        assert_int_equal(drv_modbus_get_u32(regs_neg[o], order), 0xF8A432EBu);
        uint16_t r[2];
        drv_modbus_set_i32(-123456789, order, r);
        assert_int_equal(r[0], regs_neg[o][0]);
        assert_int_equal(r[1], regs_neg[o][1]);
        drv_modbus_set_u32(0x12345678u, order, r);
        assert_int_equal(r[0], regs_1234[o][0]);
        assert_int_equal(r[1], regs_1234[o][1]);
        drv_modbus_set_i32(INT32_MIN, order, r);
        assert_int_equal(drv_modbus_get_i32(r, order), INT32_MIN);
        /* KELLER's int32 overflow marker */
        drv_modbus_set_i32(2147483647, order, r);
        assert_int_equal(drv_modbus_get_i32(r, order), 2147483647);
    }
}

/* Every byte example of protocols.md 3.1 and 3.4: the frame without its
 * CRC, and the CRC as it goes on the wire (low byte first). */
static void test_crc_examples(void **state)
{
    (void)state;
    static const struct {
        uint8_t frame[16];
        size_t len;         /* with the CRC */
    } cases[] = {
        {{0x01, 0x03, 0x00, 0x02, 0x00, 0x02, 0x65, 0xCB}, 8},
        {{0x01, 0x03, 0x04, 0x3F, 0x9E, 0x04, 0x19, 0x54, 0xC3}, 9},
        {{0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x71, 0xCB}, 8},
        {{0x01, 0x83, 0x02, 0xC0, 0xF1}, 5},
        {{0x01, 0x03, 0x00, 0x04, 0x00, 0x01, 0xC5, 0xCB}, 8},
        {{0x01, 0x03, 0x02, 0x04, 0xD2, 0x3A, 0xD9}, 7},
        {{0x01, 0x03, 0x00, 0x00, 0x00, 0x07, 0x04, 0x08}, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t crc = drv_modbus_crc16(cases[i].frame, cases[i].len - 2);
        assert_int_equal(crc & 0xFF, cases[i].frame[cases[i].len - 2]);
        assert_int_equal(crc >> 8, cases[i].frame[cases[i].len - 1]);
    }
    /* The CRC/MODBUS check value of "123456789". */
    assert_int_equal(drv_modbus_crc16((const uint8_t *)"123456789", 9), 0x4B37);
    assert_int_equal(drv_modbus_crc16(NULL, 0), 0xFFFF);
}

/* ------------------------------------------------------------ argument checks */

static void test_open_rejects(void **state)
{
    (void)state;
    drv_modbus *m = (drv_modbus *)&m;
    struct cd_err err = {0};
    assert_int_equal(drv_modbus_open("tcp:127.0.0.1", NULL, 1, 100, NULL, &m, &err),
                     CD_ERR_INVALID);
    assert_null(m);
    assert_non_null(strstr(err.msg, "tcp:HOST:PORT"));
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_open("tcp:127.0.0.1:0", NULL, 1, 100, NULL, &m, &err),
                     CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_open("tcp:127.0.0.1:502", NULL, 256, 100, NULL, &m, &err),
                     CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_open("", NULL, 1, 100, NULL, &m, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_open("/dev/null", "9600,8M1", 1, 100, NULL, &m, &err),
                     CD_ERR_UNSUPPORTED);
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_open("/dev/null", "9600,8N1,rtscts", 1, 100, NULL, &m, &err),
                     CD_ERR_UNSUPPORTED);
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_open("/dev/null", "9600,8N1", 0, 100, NULL, &m, &err),
                     CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_open("/nonexistent/ttyUSB9", NULL, 1, 100, NULL, &m, &err),
                     CD_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/ttyUSB9"));
    assert_null(m);
    drv_modbus_close(NULL);
}

/* A closed port: connection refused, with and without the recorder. */
static void test_open_refused(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);   /* nobody listens there now */
    char port[64];
    snprintf(port, sizeof port, "tcp:127.0.0.1:%d", ntohs(a.sin_port));

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct cd_err err = {0};
    struct drv_trace_writer *w = drv_trace_writer_new(f, NULL, &err);
    assert_non_null(w);
    for (int rec = 0; rec < 2; rec++) {
        drv_modbus *m = NULL;
        cd_err_clear(&err);
        int rc = drv_modbus_open(port, NULL, 1, 300, rec ? w : NULL, &m, &err);
        assert_int_equal(rc, CD_ERR_IO);
        assert_null(m);
        assert_non_null(strstr(err.msg, port));
    }
    drv_trace_writer_close(w, NULL);
    fclose(f);
    free(text);
}

/* ------------------------------------------------------------ a silent peer */

/* The kernel completes the handshake on the listen backlog; nobody ever
 * answers: a timeout, reported as such, with and without the recorder. */
static void test_timeout(void **state)
{
    (void)state;
    int port;
    int l = listen_loopback(&port);
    char name[64];
    snprintf(name, sizeof name, "tcp:127.0.0.1:%d", port);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct cd_err err = {0};
    struct drv_trace_writer *w = drv_trace_writer_new(f, NULL, &err);
    for (int rec = 0; rec < 2; rec++) {
        drv_modbus *m = NULL;
        cd_err_clear(&err);
        assert_int_equal(drv_modbus_open(name, NULL, 1, 150, rec ? w : NULL, &m, &err), 0);
        uint16_t regs[2];
        assert_int_equal(drv_modbus_read_registers(m, 3, 2, 2, regs, &err), CD_ERR_TIMEOUT);
        assert_non_null(strstr(err.msg, "150 ms"));
        assert_non_null(strstr(err.msg, "reading 2 registers at 0x0002"));
        /* argument checks say what is wrong before any I/O */
        cd_err_clear(&err);
        assert_int_equal(drv_modbus_read_registers(m, 5, 2, 2, regs, &err), CD_ERR_INVALID);
        cd_err_clear(&err);
        assert_int_equal(drv_modbus_read_registers(m, 3, 0, 126, regs, &err), CD_ERR_INVALID);
        cd_err_clear(&err);
        assert_int_equal(drv_modbus_read_registers(m, 4, 0xFFFF, 2, regs, &err),
                         CD_ERR_INVALID);
        drv_modbus_close(m);
    }
    drv_trace_writer_close(w, NULL);
    fclose(f);
    /* The recorded request is there even though no reply came. */
    assert_non_null(strstr(text, "> \"\\x00\\x01\\x00\\x00\\x00\\x06\\x01\\x03\\x00\\x02\\x00\\x02\""));
    free(text);
    close(l);
}

/* ------------------------------------------------------------ our simulator */

/* The simulator on a pty master until "quit". */
struct pty_sim {
    drv_sim *sim;
    struct drv_pty pty;
    pthread_t thread;
    int rc;
    struct cd_err err;
};

static void *pty_sim_main(void *arg)
{
    struct pty_sim *p = arg;
    p->rc = drv_sim_serve(p->sim, p->pty.master, -1, &p->err);
    return NULL;
}

static void pty_sim_start(struct pty_sim *p, const char *const *options)
{
    memset(p, 0, sizeof *p);
    struct cd_err err = {0};
    if (drv_sim_new("modbus", options, &p->sim, &err) != 0)
        fail_msg("drv_sim_new: %s", cd_err_text(&err));
    if (drv_pty_open(&p->pty, NULL, &err) != 0)
        fail_msg("drv_pty_open: %s", cd_err_text(&err));
    assert_int_equal(pthread_create(&p->thread, NULL, pty_sim_main, p), 0);
}

static void pty_sim_stop(struct pty_sim *p)
{
    drv_sim_control(p->sim, "quit", NULL, 0, NULL);   /* safe from another thread */
    pthread_join(p->thread, NULL);
    if (p->rc < 0)
        fail_msg("simulator: %s", cd_err_text(&p->err));
    drv_pty_close(&p->pty);
    drv_sim_free(p->sim);
}

/* A trace in memory. */
struct mem_trace {
    char *text;
    size_t len;
    FILE *f;
    struct drv_trace_writer *w;
    struct drv_trace *t;
};

static void mem_trace_open(struct mem_trace *m)
{
    memset(m, 0, sizeof *m);
    m->f = open_memstream(&m->text, &m->len);
    assert_non_null(m->f);
    struct cd_err err = {0};
    m->w = drv_trace_writer_new(m->f, NULL, &err);
    assert_non_null(m->w);
}

/* Close the writer and parse what it wrote. */
static void mem_trace_finish(struct mem_trace *m)
{
    struct cd_err err = {0};
    assert_int_equal(drv_trace_writer_close(m->w, &err), 0);
    fclose(m->f);
    if (drv_trace_parse(m->text, m->len, "memory", &m->t, &err) != 0)
        fail_msg("%s\n%s", cd_err_text(&err), m->text);
}

static void mem_trace_free(struct mem_trace *m)
{
    drv_trace_free(m->t);
    free(m->text);
}

static void assert_record(const struct drv_trace *t, size_t i, enum drv_dir dir,
                          const uint8_t *bytes, size_t len)
{
    if (i >= t->n)
        fail_msg("record %zu of %zu", i, t->n);
    const struct drv_trace_record *r = &t->records[i];
    assert_int_equal(r->dir, dir);
    assert_int_equal(r->len, len);
    assert_memory_equal(r->data, bytes, len);
}

static const char *const *opts_for_order(int o)
{
    static const char *const opts[4][6] = {
        {"order=ABCD", "loads=1.2345", "noise=0", "settle_s=0", NULL},
        {"order=CDAB", "loads=1.2345", "noise=0", "settle_s=0", NULL},
        {"order=BADC", "loads=1.2345", "noise=0", "settle_s=0", NULL},
        {"order=DCBA", "loads=1.2345", "noise=0", "settle_s=0", NULL},
    };
    return opts[o];
}

/* Every word order over Modbus TCP: P1 with FC 3 and 4, the whole KELLER
 * float block, and the value equals the simulated 1.2345 bar. */
static void test_sim_tcp_orders(void **state)
{
    (void)state;
    for (int o = 0; o < 4; o++) {
        struct tcp_sim t;
        tcp_sim_start(&t, opts_for_order(o), 1);
        struct cd_err err = {0};
        drv_modbus *m = NULL;
        if (drv_modbus_open(t.name, NULL, 1, 1000, NULL, &m, &err) != 0)
            fail_msg("%s", cd_err_text(&err));
        enum drv_modbus_order order = (enum drv_modbus_order)o;
        for (int fc = 3; fc <= 4; fc++) {
            uint16_t regs[2];
            if (drv_modbus_read_registers(m, fc, 0x0002, 2, regs, &err) != 0)
                fail_msg("%s", cd_err_text(&err));
            assert_int_equal(regs[0], float_regs[o][0]);
            assert_int_equal(regs[1], float_regs[o][1]);
            assert_true(drv_modbus_get_float(regs, order) == 1.2345f);
        }
        uint16_t all[12];
        if (drv_modbus_read_registers(m, 3, 0x0000, 12, all, &err) != 0)
            fail_msg("%s", cd_err_text(&err));
        assert_true(drv_modbus_get_float(all + 0, order) == 1.2345f);   /* CH0 */
        assert_true(drv_modbus_get_float(all + 2, order) == 1.2345f);   /* P1 */
        assert_true(isnan(drv_modbus_get_float(all + 4, order)));       /* P2: none */
        assert_true(drv_modbus_get_float(all + 6, order) == 20.0f);     /* T */
        assert_true(drv_modbus_get_float(all + 8, order) == 20.0f);     /* TOB1 */
        drv_modbus_close(m);
        tcp_sim_stop(&t);
    }
}

/* Over RTU on a pty, recorded: the frames are byte for byte those of
 * protocols.md 3.1 (request 01 03 00 02 00 02 65 CB, reply with 54 C3). */
static void test_sim_rtu_recorded(void **state)
{
    (void)state;
    struct pty_sim p;
    pty_sim_start(&p, opts_for_order(0));
    struct mem_trace mt;
    mem_trace_open(&mt);
    struct cd_err err = {0};
    drv_modbus *m = NULL;
    for (int rec = 1; rec >= 0; rec--) {
        if (drv_modbus_open(p.pty.path, "9600,8N1", 1, 1000, rec ? mt.w : NULL, &m, &err) != 0)
            fail_msg("%s", cd_err_text(&err));
        uint16_t regs[2];
        if (drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err) != 0)
            fail_msg("%s", cd_err_text(&err));
        assert_true(drv_modbus_get_float(regs, DRV_MODBUS_ABCD) == 1.2345f);
        if (drv_modbus_read_registers(m, 4, 0x0000, 2, regs, &err) != 0)
            fail_msg("%s", cd_err_text(&err));
        assert_true(drv_modbus_get_float(regs, DRV_MODBUS_ABCD) == 1.2345f);
        drv_modbus_close(m);
    }
    pty_sim_stop(&p);
    mem_trace_finish(&mt);
    assert_int_equal(mt.t->n, 4);
    static const uint8_t req3[] = {0x01, 0x03, 0x00, 0x02, 0x00, 0x02, 0x65, 0xCB};
    static const uint8_t rsp3[] = {0x01, 0x03, 0x04, 0x3F, 0x9E, 0x04, 0x19, 0x54, 0xC3};
    static const uint8_t req4[] = {0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x71, 0xCB};
    uint8_t rsp4[] = {0x01, 0x04, 0x04, 0x3F, 0x9E, 0x04, 0x19, 0, 0};
    uint16_t crc = drv_modbus_crc16(rsp4, 7);
    rsp4[7] = (uint8_t)(crc & 0xFF);
    rsp4[8] = (uint8_t)(crc >> 8);
    assert_record(mt.t, 0, DRV_DIR_HOST, req3, sizeof req3);
    assert_record(mt.t, 1, DRV_DIR_INSTR, rsp3, sizeof rsp3);
    assert_record(mt.t, 2, DRV_DIR_HOST, req4, sizeof req4);
    assert_record(mt.t, 3, DRV_DIR_INSTR, rsp4, sizeof rsp4);
    /* and the text form is as a reader expects it */
    assert_non_null(strstr(mt.text, "> \"\\x01\\x03\\x00\\x02\\x00\\x02e\\xCB\""));
    mem_trace_free(&mt);
}

/* The generic map (Lobaro v1) over RTU: protocols.md 3.4's example,
 * 01 03 00 04 00 01 C5 CB -> 01 03 02 04 D2 3A D9 = 1234 at dp 3; the
 * setup read of 0x0000-0x0006; FC 6 writes the decimal places. */
static void test_sim_generic_map(void **state)
{
    (void)state;
    static const char *const opts[] = {"map=generic", "loads=1.234", "noise=0", "settle_s=0",
                                       "resolution=0.001", "capacity=10", NULL};
    struct pty_sim p;
    pty_sim_start(&p, opts);
    struct mem_trace mt;
    mem_trace_open(&mt);
    struct cd_err err = {0};
    drv_modbus *m = NULL;
    if (drv_modbus_open(p.pty.path, NULL, 1, 1000, mt.w, &m, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    uint16_t regs[7];
    if (drv_modbus_read_registers(m, 3, 0x0004, 1, regs, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_int_equal(regs[0], 1234);
    if (drv_modbus_read_registers(m, 3, 0x0000, 7, regs, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_int_equal(regs[0], 1);       /* slave address */
    assert_int_equal(regs[1], 3);       /* 9600 baud */
    assert_int_equal(regs[2], 3);       /* bar */
    assert_int_equal(regs[3], 3);       /* decimal places */
    assert_int_equal((int16_t)regs[4], 1234);
    assert_int_equal(regs[6], 10000);   /* full scale 10 bar at dp 3 */
    /* FC 6: two decimal places, then the value reads 123 */
    if (drv_modbus_write_register(m, 0x0003, 2, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    if (drv_modbus_read_registers(m, 3, 0x0004, 1, regs, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_int_equal(regs[0], 123);
    /* read-only register, bad value, FC 4: exceptions 02, 03, 01 */
    assert_int_equal(drv_modbus_write_register(m, 0x0004, 1, &err), CD_ERR_DEVICE);
    assert_non_null(strstr(err.msg, "Modbus exception 02 (illegal data address) writing"));
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_write_register(m, 0x0003, 7, &err), CD_ERR_DEVICE);
    assert_non_null(strstr(err.msg, "Modbus exception 03 (illegal data value)"));
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_read_registers(m, 4, 0x0004, 1, regs, &err), CD_ERR_DEVICE);
    assert_non_null(strstr(err.msg, "Modbus exception 01 (illegal function)"));
    drv_modbus_close(m);
    pty_sim_stop(&p);
    mem_trace_finish(&mt);
    static const uint8_t req[] = {0x01, 0x03, 0x00, 0x04, 0x00, 0x01, 0xC5, 0xCB};
    static const uint8_t rsp[] = {0x01, 0x03, 0x02, 0x04, 0xD2, 0x3A, 0xD9};
    static const uint8_t req_setup[] = {0x01, 0x03, 0x00, 0x00, 0x00, 0x07, 0x04, 0x08};
    assert_record(mt.t, 0, DRV_DIR_HOST, req, sizeof req);
    assert_record(mt.t, 1, DRV_DIR_INSTR, rsp, sizeof rsp);
    assert_record(mt.t, 2, DRV_DIR_HOST, req_setup, sizeof req_setup);
    /* the FC 3 exception frame for comparison: 01 83 02 C0 F1 is FC 3's;
     * FC 4's is 01 84 01 plus its CRC, the last record */
    uint8_t ex4[] = {0x01, 0x84, 0x01, 0, 0};
    uint16_t crc = drv_modbus_crc16(ex4, 3);
    ex4[3] = (uint8_t)(crc & 0xFF);
    ex4[4] = (uint8_t)(crc >> 8);
    assert_record(mt.t, mt.t->n - 1, DRV_DIR_INSTR, ex4, sizeof ex4);
    mem_trace_free(&mt);
}

/* Device exceptions become CD_ERR_DEVICE naming the exception. */
static void test_sim_exceptions(void **state)
{
    (void)state;
    struct cd_err err = {0};
    uint16_t regs[2];
    drv_modbus *m = NULL;

    /* exception=2: every request */
    static const char *const every[] = {"exception=2", NULL};
    struct tcp_sim t;
    tcp_sim_start(&t, every, 1);
    if (drv_modbus_open(t.name, NULL, 1, 1000, NULL, &m, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), CD_ERR_DEVICE);
    assert_non_null(
        strstr(err.msg, "Modbus exception 02 (illegal data address) reading 2 registers at 0x0002"));
    assert_non_null(strstr(err.msg, t.name));
    drv_modbus_close(m);
    tcp_sim_stop(&t);
    cd_err_clear(&err);

    /* exception_every=2 (busy), error_every=3 (device failure) */
    static const char *const some[] = {"exception_every=2", "error_every=3", NULL};
    tcp_sim_start(&t, some, 1);
    if (drv_modbus_open(t.name, NULL, 1, 1000, NULL, &m, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), 0);
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), CD_ERR_DEVICE);
    assert_non_null(strstr(err.msg, "Modbus exception 06 (server device busy)"));
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), CD_ERR_DEVICE);
    assert_non_null(strstr(err.msg, "Modbus exception 04 (server device failure)"));
    cd_err_clear(&err);
    drv_modbus_close(m);
    tcp_sim_stop(&t);

    tcp_sim_start(&t, NULL, 2);
    if (drv_modbus_open(t.name, NULL, 1, 1000, NULL, &m, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    /* the map's own bounds, a read-only map, and a unit the TCP gateway
     * does not know */
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0100, 2, regs, &err), CD_ERR_DEVICE);
    assert_non_null(strstr(err.msg, "exception 02 (illegal data address) reading 2 registers "
                                    "at 0x0100"));
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x000A, 4, regs, &err), CD_ERR_DEVICE);
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_write_register(m, 0x0002, 1, &err), CD_ERR_DEVICE);
    cd_err_clear(&err);
    drv_modbus_close(m);
    if (drv_modbus_open(t.name, NULL, 7, 1000, NULL, &m, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), CD_ERR_DEVICE);
    assert_non_null(strstr(err.msg, "exception 0B (gateway target device failed to respond)"));
    drv_modbus_close(m);
    tcp_sim_stop(&t);
}

/* bad_crc_every=2 over RTU, through the recorder: a clear CD_ERR_PROTOCOL,
 * and the next request works again. A frame for another unit: silence. */
static void test_sim_bad_crc(void **state)
{
    (void)state;
    static const char *const opts[] = {"bad_crc_every=2", "loads=1.2345", "noise=0",
                                       "settle_s=0", NULL};
    struct pty_sim p;
    pty_sim_start(&p, opts);
    struct mem_trace mt;
    mem_trace_open(&mt);
    struct cd_err err = {0};
    drv_modbus *m = NULL;
    if (drv_modbus_open(p.pty.path, NULL, 1, 1000, mt.w, &m, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    uint16_t regs[2];
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), 0);
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), CD_ERR_PROTOCOL);
    assert_non_null(strstr(err.msg, "bad CRC"));
    assert_non_null(strstr(err.msg, "reading 2 registers at 0x0002"));
    cd_err_clear(&err);
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), 0);
    assert_true(drv_modbus_get_float(regs, DRV_MODBUS_ABCD) == 1.2345f);
    drv_modbus_close(m);

    if (drv_modbus_open(p.pty.path, NULL, 2, 150, NULL, &m, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), CD_ERR_TIMEOUT);
    assert_non_null(strstr(err.msg, "no answer within 150 ms"));
    drv_modbus_close(m);
    pty_sim_stop(&p);
    mem_trace_finish(&mt);
    /* the damaged reply is in the trace as it came */
    static const uint8_t bad[] = {0x01, 0x03, 0x04, 0x3F, 0x9E, 0x04, 0x19, 0x54 ^ 0xFF,
                                  0xC3 ^ 0xFF};
    assert_record(mt.t, 3, DRV_DIR_INSTR, bad, sizeof bad);
    mem_trace_free(&mt);
}

/* Write a request, read the reply (whatever comes within wait_ms). */
static size_t exchange(int fd, const uint8_t *req, size_t len, uint8_t *rsp, size_t cap,
                       int wait_ms)
{
    assert_int_equal(write(fd, req, len), (ssize_t)len);
    size_t n = 0;
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, n == 0 ? wait_ms : 50) <= 0)
            break;
        ssize_t r = read(fd, rsp + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    return n;
}

static void add_crc(uint8_t *frame, size_t len_without)
{
    uint16_t crc = drv_modbus_crc16(frame, len_without);
    frame[len_without] = (uint8_t)(crc & 0xFF);
    frame[len_without + 1] = (uint8_t)(crc >> 8);
}

/* The simulator's framing, byte by byte, without libmodbus: RTU on the pty
 * slave (noise before a frame, an unknown function code framed by its CRC,
 * a broadcast write, a damaged request ignored), TCP ADUs on a socketpair
 * (two in one write, a header that is not Modbus). */
static void test_sim_raw_frames(void **state)
{
    (void)state;
    static const char *const opts[] = {"map=generic", "loads=1.234", "noise=0", "settle_s=0",
                                       "resolution=0.001", NULL};
    struct pty_sim p;
    pty_sim_start(&p, opts);
    int fd = open(p.pty.path, O_RDWR | O_NOCTTY);
    assert_true(fd >= 0);
    uint8_t rsp[64];
    /* a noise byte, then 01 03 00 04 00 01 C5 CB */
    static const uint8_t noisy[] = {0x00, 0x01, 0x03, 0x00, 0x04, 0x00, 0x01, 0xC5, 0xCB};
    static const uint8_t value[] = {0x01, 0x03, 0x02, 0x04, 0xD2, 0x3A, 0xD9};
    assert_int_equal(exchange(fd, noisy, sizeof noisy, rsp, sizeof rsp, 1000), sizeof value);
    assert_memory_equal(rsp, value, sizeof value);
    /* FC 0x2B (read device identification): not served, exception 01 */
    uint8_t mei[7] = {0x01, 0x2B, 0x0E, 0x01, 0x00};
    add_crc(mei, 5);
    uint8_t ex[5] = {0x01, 0xAB, 0x01};
    add_crc(ex, 3);
    assert_int_equal(exchange(fd, mei, sizeof mei, rsp, sizeof rsp, 1000), sizeof ex);
    assert_memory_equal(rsp, ex, sizeof ex);
    /* broadcast FC 6 to unit 0: executed (dp = 1), not answered */
    uint8_t bc[8] = {0x00, 0x06, 0x00, 0x03, 0x00, 0x01};
    add_crc(bc, 6);
    assert_int_equal(exchange(fd, bc, sizeof bc, rsp, sizeof rsp, 150), 0);
    uint8_t rd[8] = {0x01, 0x03, 0x00, 0x04, 0x00, 0x01};
    add_crc(rd, 6);
    assert_int_equal(exchange(fd, rd, sizeof rd, rsp, sizeof rsp, 1000), 7);
    assert_int_equal(rsp[3] << 8 | rsp[4], 12);    /* 1.2 at one decimal */
    /* a damaged request: silence */
    rd[7] ^= 0x01;
    assert_int_equal(exchange(fd, rd, sizeof rd, rsp, sizeof rsp, 150), 0);
    close(fd);
    pty_sim_stop(&p);

    /* TCP on a socketpair */
    drv_sim *sim = NULL;
    struct cd_err err = {0};
    static const char *const kopts[] = {"loads=1.2345", "noise=0", "settle_s=0", NULL};
    assert_int_equal(drv_sim_new("modbus", kopts, &sim, &err), 0);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct pty_sim s = {.sim = sim, .pty = {.master = sv[1], .slave = -1}};
    assert_int_equal(pthread_create(&s.thread, NULL, pty_sim_main, &s), 0);
    static const uint8_t two[] = {
        0x00, 0x07, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x02, 0x00, 0x02,
        0x00, 0x08, 0x00, 0x00, 0x00, 0x06, 0x01, 0x04, 0x00, 0x00, 0x00, 0x01};
    static const uint8_t two_rsp[] = {
        0x00, 0x07, 0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x04, 0x3F, 0x9E, 0x04, 0x19,
        0x00, 0x08, 0x00, 0x00, 0x00, 0x05, 0x01, 0x04, 0x02, 0x3F, 0x9E};
    size_t n = exchange(sv[0], two, sizeof two, rsp, sizeof rsp, 1000);
    assert_int_equal(n, sizeof two_rsp);
    assert_memory_equal(rsp, two_rsp, sizeof two_rsp);
    static const uint8_t not_modbus[] = {0x00, 0x01, 0x12, 0x34, 0x00, 0x06, 0x01, 0x03,
                                         0x00, 0x02, 0x00, 0x02};
    assert_int_equal(exchange(sv[0], not_modbus, sizeof not_modbus, rsp, sizeof rsp, 150), 0);
    close(sv[0]);   /* the host hangs up: serve returns 0 */
    pthread_join(s.thread, NULL);
    assert_int_equal(s.rc, 0);
    close(sv[1]);
    drv_sim_free(sim);
}

/* The core's generic faults seen through drv_modbus: a truncated reply is
 * a timeout, garbage before an RTU reply a failed read, a delay within
 * the timeout is fine; each leaves the link usable. */
static void test_sim_core_faults(void **state)
{
    (void)state;
    static const char *const opts[] = {"truncate_every=2", "garbage_every=3", "delay_ms=30",
                                       "loads=1.2345", "noise=0", "settle_s=0", NULL};
    struct pty_sim p;
    pty_sim_start(&p, opts);
    struct cd_err err = {0};
    drv_modbus *m = NULL;
    if (drv_modbus_open(p.pty.path, NULL, 1, 200, NULL, &m, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    uint16_t regs[2];
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), 0);
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), CD_ERR_TIMEOUT);
    cd_err_clear(&err);
    int rc = drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err);
    /* libmodbus reads FF 00 as a unit and a function code it cannot size
     * and waits for the rest: a timeout, or a protocol error */
    if (rc != CD_ERR_PROTOCOL && rc != CD_ERR_TIMEOUT)
        fail_msg("garbage before the reply: %d %s", rc, cd_err_text(&err));
    cd_err_clear(&err);
    /* the 4th reply is truncated again; the 5th is whole */
    assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), CD_ERR_TIMEOUT);
    cd_err_clear(&err);
    if (drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_true(drv_modbus_get_float(regs, DRV_MODBUS_ABCD) == 1.2345f);
    drv_modbus_close(m);
    pty_sim_stop(&p);
}

/* A TCP session with the simulator, recorded: the MBAP ADUs of
 * protocols.md 3.1, and the instrument closing the connection becomes
 * CD_ERR_DISCONNECTED and a "! disconnect" record. */
static void test_sim_tcp_recorded(void **state)
{
    (void)state;
    static const char *const opts[] = {"loads=1.2345", "noise=0", "settle_s=0",
                                       "disconnect_after=2", NULL};
    for (int rec = 1; rec >= 0; rec--) {
        struct tcp_sim t;
        tcp_sim_start(&t, opts, 1);
        struct mem_trace mt;
        mem_trace_open(&mt);
        struct cd_err err = {0};
        drv_modbus *m = NULL;
        if (drv_modbus_open(t.name, NULL, 1, 1000, rec ? mt.w : NULL, &m, &err) != 0)
            fail_msg("%s", cd_err_text(&err));
        uint16_t regs[2];
        assert_int_equal(drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err), 0);
        assert_int_equal(drv_modbus_read_registers(m, 4, 0x0008, 2, regs, &err), 0);
        assert_true(drv_modbus_get_float(regs, DRV_MODBUS_ABCD) == 20.0f);
        tcp_sim_stop(&t);   /* the simulator has hung up */
        int rc = drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err);
        if (rc != CD_ERR_DISCONNECTED)
            fail_msg("rec %d: %d %s", rec, rc, cd_err_text(&err));
        drv_modbus_close(m);
        mem_trace_finish(&mt);
        if (!rec) {
            assert_int_equal(mt.t->n, 0);
            mem_trace_free(&mt);
            continue;
        }
        static const uint8_t req[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03,
                                      0x00, 0x02, 0x00, 0x02};
        static const uint8_t rsp[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x04,
                                      0x3F, 0x9E, 0x04, 0x19};
        static const uint8_t req2[] = {0x00, 0x02, 0x00, 0x00, 0x00, 0x06, 0x01, 0x04,
                                       0x00, 0x08, 0x00, 0x02};
        static const uint8_t rsp2[] = {0x00, 0x02, 0x00, 0x00, 0x00, 0x07, 0x01, 0x04, 0x04,
                                       0x41, 0xA0, 0x00, 0x00};
        assert_record(mt.t, 0, DRV_DIR_HOST, req, sizeof req);
        assert_record(mt.t, 1, DRV_DIR_INSTR, rsp, sizeof rsp);
        assert_record(mt.t, 2, DRV_DIR_HOST, req2, sizeof req2);
        assert_record(mt.t, 3, DRV_DIR_INSTR, rsp2, sizeof rsp2);
        assert_int_equal(mt.t->n, 5);
        assert_int_equal(mt.t->records[4].dir, DRV_DIR_EVENT);
        assert_string_equal((const char *)mt.t->records[4].data, "disconnect");
        for (size_t i = 1; i < mt.t->n; i++)
            assert_true(mt.t->records[i].t >= mt.t->records[i - 1].t);
        mem_trace_free(&mt);
    }
}

/* ------------------------------------------------------------ replay */

struct replay_run {
    struct drv_trace *t;
    int fd;
    int peer_fd;
    int listen_fd;          /* TCP: accept first */
    int rc;
    struct cd_err err;
    pthread_t thread;
};

static void *replay_main(void *arg)
{
    struct replay_run *r = arg;
    if (r->listen_fd >= 0) {
        /* bounded: a client that never comes fails the test, not hangs it */
        struct pollfd p = {.fd = r->listen_fd, .events = POLLIN};
        r->fd = poll(&p, 1, 15000) == 1 ? accept(r->listen_fd, NULL, NULL) : -1;
    }
    struct drv_replay_opts o = {.fast = true, .host_timeout_ms = 3000};
    r->rc = drv_replay(r->t, r->fd, r->peer_fd, &o, NULL, &r->err);
    return NULL;
}

/* Two reads, recorded; returns the parsed trace in *mt. */
static void modbus_session(const char *port, const char *serial, struct mem_trace *mt)
{
    mem_trace_open(mt);
    struct cd_err err = {0};
    drv_modbus *m = NULL;
    if (drv_modbus_open(port, serial, 1, 1000, mt->w, &m, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    uint16_t regs[2];
    if (drv_modbus_read_registers(m, 3, 0x0002, 2, regs, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    assert_true(drv_modbus_get_float(regs, DRV_MODBUS_CDAB) == 1.2345f);
    if (drv_modbus_read_registers(m, 4, 0x0008, 2, regs, &err) != 0)
        fail_msg("%s", cd_err_text(&err));
    drv_modbus_close(m);
    mem_trace_finish(mt);
}

static void assert_same_exchanges(const struct drv_trace *a, const struct drv_trace *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        assert_record(b, i, a->records[i].dir, a->records[i].data, a->records[i].len);
}

/* Record a Modbus conversation with the simulator, play the trace back as
 * the instrument (RTU on a pty, TCP on a loopback socket), read again: the
 * second recording is byte-identical to the first. */
static void test_modbus_record_replay(void **state)
{
    (void)state;
    static const char *const opts[] = {"order=CDAB", "loads=1.2345", "noise=0", "settle_s=0",
                                       NULL};
    /* RTU */
    struct pty_sim p;
    pty_sim_start(&p, opts);
    struct mem_trace first;
    modbus_session(p.pty.path, "19200,8E1", &first);
    pty_sim_stop(&p);
    assert_int_equal(first.t->n, 4);
    struct replay_run r = {.t = first.t, .listen_fd = -1};
    struct drv_pty pty;
    struct cd_err err = {0};
    assert_int_equal(drv_pty_open(&pty, NULL, &err), 0);
    r.fd = pty.master;
    r.peer_fd = pty.slave;
    pthread_create(&r.thread, NULL, replay_main, &r);
    struct mem_trace again;
    modbus_session(pty.path, "19200,8E1", &again);
    pthread_join(r.thread, NULL);
    pty.master = -1; /* closed by drv_replay */
    drv_pty_close(&pty);
    if (r.rc != 0)
        fail_msg("RTU replay: %s", cd_err_text(&r.err));
    assert_same_exchanges(first.t, again.t);
    mem_trace_free(&again);
    mem_trace_free(&first);

    /* TCP */
    struct tcp_sim t;
    tcp_sim_start(&t, opts, 1);
    modbus_session(t.name, NULL, &first);
    tcp_sim_stop(&t);
    struct replay_run rt = {.t = first.t, .peer_fd = -1};
    int port = 0;
    rt.listen_fd = listen_loopback(&port);
    pthread_create(&rt.thread, NULL, replay_main, &rt);
    char name[64];
    snprintf(name, sizeof name, "tcp:127.0.0.1:%d", port);
    modbus_session(name, NULL, &again);
    pthread_join(rt.thread, NULL);
    close(rt.listen_fd);
    if (rt.rc != 0)
        fail_msg("TCP replay: %s", cd_err_text(&rt.err));
    assert_same_exchanges(first.t, again.t);
    mem_trace_free(&again);
    mem_trace_free(&first);
}

/* ------------------------------------------------------------ pymodbus */

struct peer {
    pid_t pid;
    int in_fd;      /* its stdin: closing it ends the server */
    int port;
};

/* Start tests/peers/modbus_server.py; false (and a skip) when Debian's
 * python3-pymodbus is not there. */
static bool peer_start(struct peer *p)
{
    memset(p, 0, sizeof *p);
    require_peer(access(PYTHON, X_OK) == 0, "Debian's python3", "python3");
    require_peer(access(PEER_SCRIPT, R_OK) == 0, PEER_SCRIPT, "(it is in the checkout)");
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {PYTHON, PEER_SCRIPT, NULL};
    int rc = posix_spawn(&p->pid, PYTHON, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    assert_int_equal(rc, 0);
    p->in_fd = in[1];
    fcntl(p->in_fd, F_SETFD, FD_CLOEXEC);
    char line[32];
    size_t n = 0;
    while (n < sizeof line - 1) {
        struct pollfd pf = {.fd = out[0], .events = POLLIN};
        if (poll(&pf, 1, 5000) <= 0)
            break;
        ssize_t r = read(out[0], line + n, sizeof line - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (memchr(line, '\n', n) != NULL)
            break;
    }
    close(out[0]);
    line[n] = '\0';
    p->port = atoi(line);
    if (p->port <= 0) {
        close(p->in_fd);
        wait_child(p->pid, 5000, "the pymodbus server");
        return false;
    }
    return true;
}

static void peer_stop(struct peer *p)
{
    close(p->in_fd);
    for (int i = 0; i < 300; i++) {
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid)
            return;
        nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
    }
    kill(p->pid, SIGTERM);
    wait_child(p->pid, 5000, "the pymodbus server");
}

/* pymodbus encodes 1.2345 with its own BinaryPayloadBuilder, one word
 * order per unit id; we read it through libmodbus, FC 3 and 4, with and
 * without the recording proxy. */
static void test_pymodbus_orders(void **state)
{
    (void)state;
    struct peer p;
    require_peer(peer_start(&p), "pymodbus (the server did not start: import failed?)",
                 "python3-pymodbus python3-serial-asyncio");
    char port[64];
    snprintf(port, sizeof port, "tcp:127.0.0.1:%d", p.port);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct cd_err err = {0};
    struct drv_trace_writer *w = drv_trace_writer_new(f, NULL, &err);
    for (int rec = 0; rec < 2; rec++) {
        for (int o = 0; o < 4; o++) {
            drv_modbus *m = NULL;
            int rc = drv_modbus_open(port, NULL, o + 1, 2000, rec ? w : NULL, &m, &err);
            if (rc != 0)
                fail_msg("%s", cd_err_text(&err));
            for (int fc = 3; fc <= 4; fc++) {
                uint16_t regs[2] = {0, 0};
                rc = drv_modbus_read_registers(m, fc, 2, 2, regs, &err);
                if (rc != 0)
                    fail_msg("%s", cd_err_text(&err));
                assert_int_equal(regs[0], float_regs[o][0]);
                assert_int_equal(regs[1], float_regs[o][1]);
                assert_true(drv_modbus_get_float(regs, (enum drv_modbus_order)o) == 1.2345f);
            }
            drv_modbus_close(m);
        }
    }
    assert_int_equal(drv_trace_writer_close(w, &err), 0);
    fclose(f);
    peer_stop(&p);

    /* The recording holds the ADUs: request and reply of unit 1 (ABCD). */
    struct drv_trace *t = NULL;
    if (drv_trace_parse(text, len, "memory", &t, &err) != 0)
        fail_msg("%s\n%s", cd_err_text(&err), text);
    assert_int_equal(t->n, 4 * 2 * 2);
    static const uint8_t req[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x02,
                                  0x00, 0x02};
    static const uint8_t rsp[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x04,
                                  0x3F, 0x9E, 0x04, 0x19};
    assert_int_equal(t->records[0].dir, DRV_DIR_HOST);
    assert_int_equal(t->records[0].len, sizeof req);
    assert_memory_equal(t->records[0].data, req, sizeof req);
    assert_int_equal(t->records[1].dir, DRV_DIR_INSTR);
    assert_int_equal(t->records[1].len, sizeof rsp);
    assert_memory_equal(t->records[1].data, rsp, sizeof rsp);
    assert_true(t->records[1].t >= t->records[0].t);
    drv_trace_free(t);
    free(text);
}

/* Debian's pymodbus as the client of our simulator: over TCP in all four
 * word orders, and over RTU on a pty (pymodbus's own RTU framer). */
static void test_pymodbus_reads_sim(void **state)
{
    (void)state;
    require_peer(access(PYTHON, X_OK) == 0, "Debian's python3", "python3");
    require_peer(access(PEER_CLIENT, R_OK) == 0, PEER_CLIENT, "(it is in the checkout)");
    struct tcp_sim t[4];
    struct pty_sim p;
    char *argv[3 + 2 * 5] = {PYTHON, PEER_CLIENT};
    int argc = 2;
    for (int o = 0; o < 4; o++) {
        tcp_sim_start(&t[o], opts_for_order(o), 1);
        argv[argc++] = t[o].name;
        argv[argc++] = (char *)order_names[o];
    }
    pty_sim_start(&p, opts_for_order(2));
    argv[argc++] = p.pty.path;
    argv[argc++] = "BADC";
    argv[argc] = NULL;

    int out[2];
    assert_int_equal(pipe(out), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, out[1], 2); /* Python's import errors go to stderr */
    posix_spawn_file_actions_addclose(&fa, out[0]);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, PYTHON, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    char text[1024];
    size_t n = 0;
    for (;;) {
        struct pollfd pf = {.fd = out[0], .events = POLLIN};
        if (poll(&pf, 1, 8000) <= 0)
            break;
        ssize_t r = read(out[0], text + n, sizeof text - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    text[n] = '\0';
    close(out[0]);
    int status = wait_child(pid, 10000, "the pymodbus client");
    bool imported = strstr(text, "No module named") == NULL;
    if (!imported) {
        /* The simulators still wait for the client that never came: their
         * accept is bounded (modbus_harness.h), the pty one is told to quit. */
        pty_sim_stop(&p);
        for (int o = 0; o < 4; o++) {
            pthread_join(t[o].thread, NULL);
            close(t[o].listen_fd);
            drv_sim_free(t[o].sim);
        }
    }
    require_peer(imported, "pymodbus (import failed)", "python3-pymodbus python3-serial-asyncio");
    for (int o = 0; o < 4; o++)
        tcp_sim_stop(&t[o]);
    pty_sim_stop(&p);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const char *expect[] = {"ABCD 1.2345 1.2345 20\n", "CDAB 1.2345 1.2345 20\n",
                            "BADC 1.2345 1.2345 20\n", "DCBA 1.2345 1.2345 20\n",
                            "BADC 1.2345 1.2345 20\n"};
    const char *at = text;
    for (int i = 0; i < 5; i++) {
        if (strncmp(at, expect[i], strlen(expect[i])) != 0)
            fail_msg("pymodbus client, line %d: expected \"%s\", output:\n%s", i + 1, expect[i],
                     text);
        at += strlen(expect[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_orders_float),
        cmocka_unit_test(test_word_orders_int32),
        cmocka_unit_test(test_crc_examples),
        cmocka_unit_test(test_open_rejects),
        cmocka_unit_test(test_open_refused),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_sim_tcp_orders),
        cmocka_unit_test(test_sim_rtu_recorded),
        cmocka_unit_test(test_sim_generic_map),
        cmocka_unit_test(test_sim_exceptions),
        cmocka_unit_test(test_sim_bad_crc),
        cmocka_unit_test(test_sim_tcp_recorded),
        cmocka_unit_test(test_sim_raw_frames),
        cmocka_unit_test(test_sim_core_faults),
        cmocka_unit_test(test_modbus_record_replay),
        cmocka_unit_test(test_pymodbus_orders),
        cmocka_unit_test(test_pymodbus_reads_sim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
