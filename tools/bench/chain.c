/* The benchmark's C build of the uamp fixed-point chain: the same integer math as the viper
 * kernels in firmware/uamp/dsp/ (gain_ramp, biquad_run, crossfeed_run, to_int16), so
 * tools/bench.py can compare speed and check the outputs are bit-identical.
 *
 * stdin: frames, coefs[30], order[6] (as int32), work[2*frames], gain[4], xf[XF_WORDS],
 * out_state[6]
 * stdout: the 16-bit output of one buffer, then the states, as int32 (for the bit check)
 * argv[1]: seconds to time the chain for; prints "<stage> <frames/s>" lines to stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 6
#define SECTIONS 5
#define RING 32 /* crossfeed.py: the delay ring, frames */
#define XF_WORDS (8 + 2 * RING)

static int32_t frames;
static int32_t coefs[5 * SLOTS];
static int32_t order[SLOTS];
static int32_t *work0, *work;
#define STATE_PER 7
static int32_t state0[STATE_PER * 2 * SLOTS], state[STATE_PER * 2 * SLOTS];
static int32_t gain0[4], gain[4], xf0[XF_WORDS], xf[XF_WORDS], out0[6], outst[6];
static int16_t *out;

static void gain_ramp(int32_t *buf, int32_t n_frames, int32_t *st) {
    for (int ch = 0; ch < 2; ch++) {
        int32_t g = st[ch], d = st[2 + ch];
        for (int32_t i = ch; i < n_frames * 2; i += 2) {
            g += d;
            int32_t gh = g >> 12, gl = g & 0xFFF, x = buf[i], xh = x >> 12, xl = x & 0xFFF;
            buf[i] = xh * gh + ((xh * gl + xl * gh + ((xl * gl) >> 12) + 0x800) >> 12);
        }
        st[ch] = g;
    }
}

static void biquad_run(int32_t *buf, int32_t n_frames, const int32_t *c5, int32_t *st,
                       const int32_t *ord, int32_t count) {
    int32_t n = n_frames * 2;
    for (int k = 0; k < count; k++) {
        int32_t slot = ord[k];
        const int32_t *c = c5 + slot * 5;
        int32_t b0h = c[0] >> 14, b0l = c[0] & 0x3FFF, b1h = c[1] >> 14, b1l = c[1] & 0x3FFF;
        int32_t b2h = c[2] >> 14, b2l = c[2] & 0x3FFF, a1h = c[3] >> 14, a1l = c[3] & 0x3FFF;
        int32_t a2h = c[4] >> 14, a2l = c[4] & 0x3FFF;
        for (int ch = 0; ch < 2; ch++) {
            int32_t *s = st + (slot * 2 + ch) * STATE_PER;
            int32_t x1h = s[0] >> 14, x1l = s[0] & 0x3FFF, x2h = s[1] >> 14, x2l = s[1] & 0x3FFF;
            int32_t y1h = s[2] >> 14, y1l = s[2] & 0x3FFF, y2h = s[3] >> 14, y2l = s[3] & 0x3FFF;
            int32_t e1 = s[4], e2 = s[5], r = s[6];
            for (int32_t i = ch; i < n; i += 2) {
                int32_t v = buf[i], xh = v >> 14, xl = v & 0x3FFF;
                int32_t h = b0h * xh + b1h * x1h + b2h * x2h + a1h * y1h + a2h * y2h;
                int32_t m = b0h * xl + b0l * xh + b1h * x1l + b1l * x1h + b2h * x2l + b2l * x2h;
                m += a1h * y1l + a1l * y1h + a2h * y2l + a2l * y2h;
                int32_t lo = r + b0l * xl + b1l * x1l + b2l * x2l + a1l * y1l + a2l * y2l;
                lo += (a1h * e1 + a2h * e2) * 4;
                lo += ((a1l * e1) >> 12) + ((a2l * e2) >> 12);
                m += lo >> 14;
                r = lo & 0x3FFF;
                e2 = e1;
                e1 = m & 0xFFF;
                int32_t w = (h << 2) + (m >> 12);
                int32_t y = w + (e1 >> 11);
                if (y > 0x3FFFFFF) { y = 0x3FFFFFF; w = y; e1 = 0; }
                else if (y < -0x3FFFFFF) { y = -0x3FFFFFF; w = y; e1 = 0; }
                buf[i] = y;
                x2h = x1h; x2l = x1l; x1h = xh; x1l = xl;
                y2h = y1h; y2l = y1l; y1h = w >> 14; y1l = w & 0x3FFF;
            }
            s[0] = (x1h << 14) + x1l; s[1] = (x2h << 14) + x2l;
            s[2] = (y1h << 14) + y1l; s[3] = (y2h << 14) + y2l;
            s[4] = e1; s[5] = e2; s[6] = r;
        }
    }
}

static void crossfeed_run(int32_t *buf, int32_t n_frames, int32_t *st) {
    int32_t lpl = st[0], lpr = st[1], k = st[2], a = st[3], da = st[4], w = st[6], back = st[7];
    int32_t *ring = st + 8;
    for (int32_t i = 0; i < n_frames * 2; i += 2) {
        a += da;
        int32_t aq = a >> 9, left = buf[i], right = buf[i + 1], d;
        d = left - lpl;
        lpl += (d >> 15) * k + (((d & 0x7FFF) * k) >> 15);
        d = right - lpr;
        lpr += (d >> 15) * k + (((d & 0x7FFF) * k) >> 15);
        ring[2 * w] = lpl;
        ring[2 * w + 1] = lpr;
        int32_t r = 2 * ((w - back) & (RING - 1));
        d = ring[r + 1] - lpl;
        buf[i] = left + (d >> 15) * aq + (((d & 0x7FFF) * aq + 0x4000) >> 15);
        d = ring[r] - lpr;
        buf[i + 1] = right + (d >> 15) * aq + (((d & 0x7FFF) * aq + 0x4000) >> 15);
        w = (w + 1) & (RING - 1);
    }
    st[0] = lpl; st[1] = lpr; st[3] = a; st[6] = w;
}

static void to_int16(int16_t *o, const int32_t *buf, int32_t n_frames, int32_t *st) {
    uint32_t rng = (uint32_t)st[0];
    int32_t prev = st[1], clips = st[2], pl = st[3], pr = st[4], dither = st[5];
    for (int32_t i = 0; i < n_frames * 2; i++) {
        int32_t x = buf[i];
        if (dither) {
            rng = (rng * 214013u + 2531011u) & 0x3FFFFFFFu;
            int32_t r = (int32_t)(rng >> 22);
            x += r - prev;
            prev = r;
        }
        int32_t y = (x + 128) >> 8;
        if (y > 32767) { y = 32767; clips++; }
        else if (y < -32768) { y = -32768; clips++; }
        o[i] = (int16_t)y;
        if (y < 0) y = -y;
        if (i & 1) { if (y > pr) pr = y; }
        else if (y > pl) pl = y;
    }
    st[0] = (int32_t)rng; st[1] = prev; st[2] = clips; st[3] = pl; st[4] = pr;
}

static void reset(void) {
    memcpy(work, work0, 8 * (size_t)frames);
    memcpy(state, state0, sizeof state);
    memcpy(gain, gain0, sizeof gain);
    memcpy(xf, xf0, sizeof xf);
    memcpy(outst, out0, sizeof outst);
}

static void stage(int which) {
    if (which == 0 || which == 4) { gain[0] = gain0[0]; gain[1] = gain0[1]; gain_ramp(work, frames, gain); }
    if (which == 1 || which == 4) biquad_run(work, frames, coefs, state, order, SECTIONS);
    if (which == 2 || which == 4) { crossfeed_run(work, frames, xf); xf[3] = xf0[3]; }
    if (which == 3 || which == 4) to_int16(out, work, frames, outst);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void get(int32_t *dst, size_t n) {
    if (fread(dst, 4, n, stdin) != n) { fprintf(stderr, "short input\n"); exit(2); }
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0.3;
    get(&frames, 1);
    get(coefs, 5 * SLOTS);
    get(order, SLOTS);
    work0 = malloc(8 * (size_t)frames);
    work = malloc(8 * (size_t)frames);
    out = malloc(4 * (size_t)frames);
    get(work0, 2 * (size_t)frames);
    get(gain0, 4);
    get(xf0, XF_WORDS);
    get(out0, 6);
    memset(state0, 0, sizeof state0);
    reset();
    stage(4); /* one buffer of the whole chain: its output is checked bit for bit */
    fwrite(out, 2, 2 * (size_t)frames, stdout);
    fwrite(work, 4, 2 * (size_t)frames, stdout);
    fwrite(state, 4, sizeof state / 4, stdout);
    fwrite(outst, 4, 6, stdout);
    static const char *names[] = {"gain", "biquad x5", "crossfeed", "dither16", "chain"};
    for (int which = 0; which < 5; which++) {
        reset();
        long repeats = 0;
        double t0 = now(), t;
        do {
            stage(which);
            repeats++;
        } while ((t = now() - t0) < seconds);
        fprintf(stderr, "%s|C|%.0f\n", names[which], repeats * (double)frames / t);
    }
    return 0;
}
