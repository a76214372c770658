/* SPDX-License-Identifier: MIT */
/*
 * text.c - UTF-8 helpers and SMS text normalisation.
 *
 * Everything here is pure: no I/O, no allocation, const tables only.
 */
#include <errno.h>
#include <string.h>

#include "gateway/text.h"
#include "util/utf8.h"

#define CP_SEP	0xFFFFFFFEu	/* the character separates words */
#define CP_DROP	0xFFFFFFFFu	/* the character vanishes */

/* Traditional -> simplified, per character, sorted by the first column. */
static const struct {
	uint16_t trad;
	uint16_t simp;
} t2s[] = {
	{ 0x4F86, 0x6765 },	/* 來 -> 来 */
	{ 0x500B, 0x4E2A },	/* 個 -> 个 */
	{ 0x5011, 0x4EEC },	/* 們 -> 们 */
	{ 0x5099, 0x5907 },	/* 備 -> 备 */
	{ 0x514C, 0x5151 },	/* 兌 -> 兑 */
	{ 0x5169, 0x4E24 },	/* 兩 -> 两 */
	{ 0x5289, 0x5218 },	/* 劉 -> 刘 */
	{ 0x52D9, 0x52A1 },	/* 務 -> 务 */
	{ 0x5340, 0x533A },	/* 區 -> 区 */
	{ 0x5433, 0x5434 },	/* 吳 -> 吴 */
	{ 0x554F, 0x95EE },	/* 問 -> 问 */
	{ 0x55AE, 0x5355 },	/* 單 -> 单 */
	{ 0x55CE, 0x5417 },	/* 嗎 -> 吗 */
	{ 0x5831, 0x62A5 },	/* 報 -> 报 */
	{ 0x58DE, 0x574F },	/* 壞 -> 坏 */
	{ 0x5B78, 0x5B66 },	/* 學 -> 学 */
	{ 0x5BE6, 0x5B9E },	/* 實 -> 实 */
	{ 0x5BE9, 0x5BA1 },	/* 審 -> 审 */
	{ 0x5BEB, 0x5199 },	/* 寫 -> 写 */
	{ 0x5C0D, 0x5BF9 },	/* 對 -> 对 */
	{ 0x5C6C, 0x5C5E },	/* 屬 -> 属 */
	{ 0x5E63, 0x5E01 },	/* 幣 -> 币 */
	{ 0x5E6B, 0x5E2E },	/* 幫 -> 帮 */
	{ 0x5E7E, 0x51E0 },	/* 幾 -> 几 */
	{ 0x5EC1, 0x5395 },	/* 廁 -> 厕 */
	{ 0x5F35, 0x5F20 },	/* 張 -> 张 */
	{ 0x6236, 0x6237 },	/* 戶 -> 户 */
	{ 0x6383, 0x626B },	/* 掃 -> 扫 */
	{ 0x63DB, 0x6362 },	/* 換 -> 换 */
	{ 0x64DA, 0x636E },	/* 據 -> 据 */
	{ 0x6578, 0x6570 },	/* 數 -> 数 */
	{ 0x6642, 0x65F6 },	/* 時 -> 时 */
	{ 0x66F8, 0x4E66 },	/* 書 -> 书 */
	{ 0x6703, 0x4F1A },	/* 會 -> 会 */
	{ 0x6771, 0x4E1C },	/* 東 -> 东 */
	{ 0x689D, 0x6761 },	/* 條 -> 条 */
	{ 0x694A, 0x6768 },	/* 楊 -> 杨 */
	{ 0x696D, 0x4E1A },	/* 業 -> 业 */
	{ 0x6A23, 0x6837 },	/* 樣 -> 样 */
	{ 0x6A4B, 0x6865 },	/* 橋 -> 桥 */
	{ 0x6B72, 0x5C81 },	/* 歲 -> 岁 */
	{ 0x6C23, 0x6C14 },	/* 氣 -> 气 */
	{ 0x6C92, 0x6CA1 },	/* 沒 -> 没 */
	{ 0x6E9D, 0x6C9F },	/* 溝 -> 沟 */
	{ 0x6F54, 0x6D01 },	/* 潔 -> 洁 */
	{ 0x70BA, 0x4E3A },	/* 為 -> 为 */
	{ 0x7121, 0x65E0 },	/* 無 -> 无 */
	{ 0x71C8, 0x706F },	/* 燈 -> 灯 */
	{ 0x73FE, 0x73B0 },	/* 現 -> 现 */
	{ 0x74B0, 0x73AF },	/* 環 -> 环 */
	{ 0x7570, 0x5F02 },	/* 異 -> 异 */
	{ 0x767C, 0x53D1 },	/* 發 -> 发 */
	{ 0x78BA, 0x786E },	/* 確 -> 确 */
	{ 0x78BC, 0x7801 },	/* 碼 -> 码 */
	{ 0x7A2E, 0x79CD },	/* 種 -> 种 */
	{ 0x7A4D, 0x79EF },	/* 積 -> 积 */
	{ 0x7D30, 0x7EC6 },	/* 細 -> 细 */
	{ 0x7D71, 0x7EDF },	/* 統 -> 统 */
	{ 0x7D81, 0x7ED1 },	/* 綁 -> 绑 */
	{ 0x7DE8, 0x7F16 },	/* 編 -> 编 */
	{ 0x7E23, 0x53BF },	/* 縣 -> 县 */
	{ 0x7E3D, 0x603B },	/* 總 -> 总 */
	{ 0x807D, 0x542C },	/* 聽 -> 听 */
	{ 0x8207, 0x4E0E },	/* 與 -> 与 */
	{ 0x842C, 0x4E07 },	/* 萬 -> 万 */
	{ 0x8655, 0x5904 },	/* 處 -> 处 */
	{ 0x865F, 0x53F7 },	/* 號 -> 号 */
	{ 0x885B, 0x536B },	/* 衛 -> 卫 */
	{ 0x898B, 0x89C1 },	/* 見 -> 见 */
	{ 0x8A02, 0x8BA2 },	/* 訂 -> 订 */
	{ 0x8A08, 0x8BA1 },	/* 計 -> 计 */
	{ 0x8A18, 0x8BB0 },	/* 記 -> 记 */
	{ 0x8A2D, 0x8BBE },	/* 設 -> 设 */
	{ 0x8A62, 0x8BE2 },	/* 詢 -> 询 */
	{ 0x8A71, 0x8BDD },	/* 話 -> 话 */
	{ 0x8A8D, 0x8BA4 },	/* 認 -> 认 */
	{ 0x8A9E, 0x8BED },	/* 語 -> 语 */
	{ 0x8AAA, 0x8BF4 },	/* 說 -> 说 */
	{ 0x8AAC, 0x8BF4 },	/* 説 -> 说 */
	{ 0x8ACB, 0x8BF7 },	/* 請 -> 请 */
	{ 0x8B1D, 0x8C22 },	/* 謝 -> 谢 */
	{ 0x8B70, 0x8BAE },	/* 議 -> 议 */
	{ 0x8B80, 0x8BFB },	/* 讀 -> 读 */
	{ 0x8B93, 0x8BA9 },	/* 讓 -> 让 */
	{ 0x8CB8, 0x8D37 },	/* 貸 -> 贷 */
	{ 0x8CBB, 0x8D39 },	/* 費 -> 费 */
	{ 0x8D99, 0x8D75 },	/* 趙 -> 赵 */
	{ 0x8ECA, 0x8F66 },	/* 車 -> 车 */
	{ 0x8FA6, 0x529E },	/* 辦 -> 办 */
	{ 0x9019, 0x8FD9 },	/* 這 -> 这 */
	{ 0x9032, 0x8FDB },	/* 進 -> 进 */
	{ 0x904E, 0x8FC7 },	/* 過 -> 过 */
	{ 0x9054, 0x8FBE },	/* 達 -> 达 */
	{ 0x9060, 0x8FDC },	/* 遠 -> 远 */
	{ 0x9084, 0x8FD8 },	/* 還 -> 还 */
	{ 0x9109, 0x4E61 },	/* 鄉 -> 乡 */
	{ 0x912D, 0x90D1 },	/* 鄭 -> 郑 */
	{ 0x9280, 0x94F6 },	/* 銀 -> 银 */
	{ 0x92B7, 0x9500 },	/* 銷 -> 销 */
	{ 0x9304, 0x5F55 },	/* 錄 -> 录 */
	{ 0x9322, 0x94B1 },	/* 錢 -> 钱 */
	{ 0x932F, 0x9519 },	/* 錯 -> 错 */
	{ 0x93AE, 0x9547 },	/* 鎮 -> 镇 */
	{ 0x9580, 0x95E8 },	/* 門 -> 门 */
	{ 0x958B, 0x5F00 },	/* 開 -> 开 */
	{ 0x95B1, 0x9605 },	/* 閱 -> 阅 */
	{ 0x95DC, 0x5173 },	/* 關 -> 关 */
	{ 0x9673, 0x9648 },	/* 陳 -> 陈 */
	{ 0x96FB, 0x7535 },	/* 電 -> 电 */
	{ 0x9805, 0x9879 },	/* 項 -> 项 */
	{ 0x984D, 0x989D },	/* 額 -> 额 */
	{ 0x99AC, 0x9A6C },	/* 馬 -> 马 */
	{ 0x99C1, 0x9A73 },	/* 駁 -> 驳 */
	{ 0x9B5A, 0x9C7C },	/* 魚 -> 鱼 */
	{ 0x9CE5, 0x9E1F },	/* 鳥 -> 鸟 */
	{ 0x9EBC, 0x4E48 },	/* 麼 -> 么 */
	{ 0x9EC3, 0x9EC4 },	/* 黃 -> 黄 */
	{ 0x9EDE, 0x70B9 },	/* 點 -> 点 */
};

size_t text_utf8_len(const char *s)
{
	size_t len = strlen(s), pos = 0, n = 0;
	uint32_t cp;

	while (utf8_next(s, len, &pos, &cp))
		n++;
	return n;
}

size_t text_ucs2_units(const char *s)
{
	size_t len = strlen(s), pos = 0, n = 0;
	uint32_t cp;

	while (utf8_next(s, len, &pos, &cp))
		n += cp >= 0x10000 ? 2 : 1;
	return n;
}

bool text_is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

size_t text_sms_units(const char *s, bool *ucs2)
{
	size_t n = 0;
	const char *p;

	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= 0x80 || c == '`' ||
		    (c < 0x20 && c != '\n' && c != '\r') || c == 0x7F)
			goto wide;
		n += strchr("[]{}^~\\|", c) ? 2 : 1;
	}
	if (ucs2)
		*ucs2 = false;
	return n;
wide:
	if (ucs2)
		*ucs2 = true;
	return text_ucs2_units(s);
}

size_t text_truncate_units(char *s, size_t max_units)
{
	size_t len = strlen(s), pos = 0, units = 0, c, w;
	uint32_t cp;

	while (pos < len) {
		c = utf8_decode(s + pos, len - pos, &cp);
		if (c == 0) {
			c = 1;
			w = 1;
		} else {
			w = cp >= 0x10000 ? 2 : 1;
		}
		if (units + w > max_units)
			break;
		units += w;
		pos += c;
	}
	s[pos] = '\0';
	return units;
}

size_t text_copy(char *dst, size_t size, const char *src)
{
	size_t len, pos = 0, c;
	uint32_t cp;

	if (size == 0)
		return 0;
	len = strlen(src);
	while (pos < len) {
		c = utf8_decode(src + pos, len - pos, &cp);
		if (c == 0)
			c = 1;
		if (pos + c > size - 1)
			break;
		pos += c;
	}
	memmove(dst, src, pos);
	dst[pos] = '\0';
	return pos;
}

static uint32_t trad_to_simp(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(t2s) / sizeof(t2s[0]);

	if (cp < t2s[0].trad || cp > 0xFFFF)
		return cp;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t2s[mid].trad == cp)
			return t2s[mid].simp;
		if (t2s[mid].trad < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return cp;
}

static bool is_zero_width(uint32_t cp)
{
	return (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 ||
	       cp == 0xFEFF || cp == 0xAD;
}

/* The character @cp stands for in normalised text, CP_SEP or CP_DROP. */
static uint32_t norm_cp(uint32_t cp)
{
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		cp -= 0xFEE0;		/* full-width ASCII */
	if (cp < 0x80) {
		if (cp >= 'A' && cp <= 'Z')
			return cp + 0x20;
		if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
			return cp;
		return CP_SEP;		/* spaces, controls, punctuation */
	}
	if (is_zero_width(cp))
		return CP_DROP;
	if (cp <= 0xBF)
		return CP_SEP;		/* C1 controls, NBSP, Latin-1 signs */
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
		return cp + 0x20;	/* Latin-1 capitals */
	if (cp >= 0x2460 && cp <= 0x2468)
		return '1' + (cp - 0x2460);	/* circled digits */
	if (cp == 0x24EA)
		return '0';
	if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x206F) ||
	    (cp >= 0x2E00 && cp <= 0x2E7F))
		return CP_SEP;		/* spaces, dashes, quotes, ellipsis */
	if ((cp >= 0x3000 && cp <= 0x3003) || (cp >= 0x3008 && cp <= 0x3011) ||
	    (cp >= 0x3014 && cp <= 0x301F) || cp == 0x30FB)
		return CP_SEP;		/* 　、。〈〉《》「」『』【】〔〕 */
	if ((cp >= 0xFE10 && cp <= 0xFE1F) || (cp >= 0xFE30 && cp <= 0xFE6B))
		return CP_SEP;		/* vertical and small forms */
	if ((cp >= 0xFF5F && cp <= 0xFF65) || cp == 0xFFFD)
		return CP_SEP;
	return trad_to_simp(cp);
}

/* Normalised form of the next valid character at @s, or CP_DROP. */
static uint32_t peek_norm(const char *s, size_t len)
{
	size_t pos = 0, c;
	uint32_t cp, m;

	while (pos < len) {
		c = utf8_decode(s + pos, len - pos, &cp);
		if (c == 0) {
			pos++;
			continue;
		}
		m = norm_cp(cp);
		if (m != CP_DROP)
			return m;
		pos += c;
	}
	return CP_DROP;
}

int text_normalize(const char *in, size_t in_len, char *out, size_t out_size,
		   uint32_t *map)
{
	size_t pos = 0, n = 0, c, k, need;
	size_t sep_off = 0, end_off = 0;
	bool sep = false;
	char enc[4];
	uint32_t cp, m;

	if (!out || out_size == 0)
		return -EINVAL;
	if (!in)
		in_len = 0;
	while (pos < in_len) {
		size_t start = pos;

		c = utf8_decode(in + pos, in_len - pos, &cp);
		if (c == 0) {
			pos++;		/* invalid byte: dropped */
			continue;
		}
		pos += c;
		m = norm_cp(cp);
		if (m == CP_DROP)
			continue;
		if (cp == '.' || cp == 0xFF0E) {
			uint32_t next = peek_norm(in + pos, in_len - pos);

			if (!sep && n > 0 && out[n - 1] >= '0' &&
			    out[n - 1] <= '9' && next >= '0' && next <= '9')
				m = '.';
		}
		if (m == CP_SEP) {
			if (n > 0 && !sep) {
				sep = true;
				sep_off = start;
			}
			continue;
		}
		k = utf8_encode(m, enc);
		need = k + (sep ? 1 : 0);
		if (k == 0)
			continue;
		if (n + need > out_size - 1) {
			end_off = sep ? sep_off : start;
			sep = false;
			goto done;
		}
		if (sep) {
			if (map)
				map[n] = (uint32_t)sep_off;
			out[n++] = ' ';
			sep = false;
		}
		memcpy(out + n, enc, k);
		while (k--) {
			if (map)
				map[n] = (uint32_t)start;
			n++;
		}
		end_off = pos;
	}
	if (sep)
		end_off = sep_off;
done:
	out[n] = '\0';
	if (map)
		map[n] = (uint32_t)end_off;
	return (int)n;
}

static bool is_space_cp(uint32_t cp)
{
	return cp < 0x20 || cp == ' ' || cp == 0x7F ||
	       (cp >= 0x80 && cp <= 0xA0) || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static bool is_joiner_cp(uint32_t cp)
{
	switch (cp) {
	case ',': case ':': case ';': case '.': case '-': case '+':
	case '#': case '~': case '=': case '/': case '|': case '_':
	case 0x3001: case 0x3002: case 0xFF0C: case 0xFF1A: case 0xFF1B:
	case 0xFF0E: case 0xFF0D: case 0xFF0B: case 0xFF03: case 0xFF5E:
	case 0xFF1D: case 0xFF0F: case 0xFF5C: case 0x2014: case 0x2013:
	case 0x2026: case 0x00B7: case 0xFF61: case 0xFF64:
		return true;
	default:
		return false;
	}
}

int text_clean(const char *in, size_t in_len, char *out, size_t out_size)
{
	size_t pos = 0, n = 0, c, k;
	bool lead = true, space = false;
	char enc[4];
	uint32_t cp;

	if (!out || out_size == 0)
		return -EINVAL;
	if (!in)
		in_len = 0;
	while (pos < in_len) {
		c = utf8_decode(in + pos, in_len - pos, &cp);
		if (c == 0) {
			pos++;
			continue;
		}
		pos += c;
		if (is_zero_width(cp))
			continue;
		if (is_space_cp(cp)) {
			space = !lead;
			continue;
		}
		if (lead && is_joiner_cp(cp))
			continue;
		k = utf8_encode(cp, enc);
		if (n + k + (space ? 1 : 0) > out_size - 1)
			break;
		if (space)
			out[n++] = ' ';
		space = false;
		lead = false;
		memcpy(out + n, enc, k);
		n += k;
	}
	out[n] = '\0';
	return (int)n;
}

size_t text_fix_utf8(char *s)
{
	size_t len = strlen(s), pos = 0, c, fixed = 0;
	uint32_t cp;

	while (pos < len) {
		c = utf8_decode(s + pos, len - pos, &cp);
		if (c == 0) {
			s[pos++] = '?';
			fixed++;
			continue;
		}
		pos += c;
	}
	return fixed;
}
