/*
 * The decoders' layout scan (scanLayout in ../payload-scanner.ts), compiled to WebAssembly: the
 * classify worker's hottest loop, run by the wasm PayloadDecoder (../wasm-decoder.ts).
 *
 * It only finds and checks structure; the rules stay in TypeScript. The layout (the bytes around
 * each value, and how each value is read) and the integer limits are passed by init(), the event
 * time's seconds prefix by setSecondsPrefix(). String values come back as spans and hashes, and
 * as the entry of the field's RecentStrings that holds the same bytes: a copy of each entry's
 * bytes is kept here, passed by remember() whenever the decoder sets one, so the bytes of a known
 * string are compared here. What this scan accepts, the JavaScript one accepts with the same
 * values; anything else (another layout, another second, a number it cannot read exactly) is
 * refused, and the decoder reads the row another way.
 *
 * Regenerate layout-scan.wasm.ts after any change: `npm run build:wasm` (needs clang and lld).
 */
#include <stdint.h>

typedef unsigned char u8;

#define MAX_FIELDS 32
#define MAX_SECONDS_PREFIX 32
#define MAX_SAFE_INTEGER 9007199254740991.0
#define MAX_STRING_FIELDS 8
/* RecentStrings.SIZE, checked by init(). */
#define RECENT_ENTRIES 4096
/* Longer strings are not copied here: they are always compared by the JavaScript. */
#define MAX_RECENT_BYTES 60

/* The readers' codes: FIELD_READERS in ../field-layout.ts. */
enum { READ_LONG = 0, READ_INT32 = 1, READ_DOUBLE = 2, READ_TIMESTAMP = 3, READ_STRING = 4 };

static int fieldCount;
/* What precedes each value, then (at fieldCount) what follows the last one. */
static const u8 *prefixes[MAX_FIELDS + 1];
static int prefixLengths[MAX_FIELDS + 1];
static u8 readers[MAX_FIELDS];
static uint64_t maxima[MAX_FIELDS];
/* For a string field, its index in recentKeys. */
static int stringSlots[MAX_FIELDS];

/* A copy of a RecentStrings entry's bytes; storedLength is their length plus one, 0 for none. */
typedef struct {
  int32_t storedLength;
  u8 bytes[MAX_RECENT_BYTES];
} RecentKey;
static RecentKey recentKeys[MAX_STRING_FIELDS][RECENT_ENTRIES];

static u8 secondsPrefix[MAX_SECONDS_PREFIX];
static int secondsPrefixLength;
static double secondsPrefixMicros;
static int hasSecondsPrefix;

/* 10^k for k <= 22, all exact doubles: Clinger's fast path, as in readUnsignedDecimal. */
static double exactPowersOfTen[23];

/*
 * The layout, values in the order they are written: prefixBytes holds what precedes each value
 * one after another, then what follows the last one (it must stay valid); lengths has their
 * count + 1 lengths; readers and maxima, each value's reader and, for integers, largest value.
 * Returns 0 when this scan cannot hold them, or when RecentStrings has another size.
 */
__attribute__((export_name("init"))) int init(int count, const u8 *prefixBytes, const int32_t *lengths, const u8 *fieldReaders,
                                               const double *fieldMaxima, int recentEntries) {
  if (count < 1 || count > MAX_FIELDS || recentEntries != RECENT_ENTRIES) return 0;
  fieldCount = count;
  const u8 *at = prefixBytes;
  int strings = 0;
  for (int f = 0; f < count; f++) {
    prefixes[f] = at;
    prefixLengths[f] = lengths[f];
    at += lengths[f];
    readers[f] = fieldReaders[f];
    maxima[f] = (uint64_t)fieldMaxima[f];
    if (readers[f] == READ_STRING) {
      if (strings == MAX_STRING_FIELDS) return 0;
      stringSlots[f] = strings++;
    }
  }
  prefixes[count] = at;
  prefixLengths[count] = lengths[count];
  for (int s = 0; s < MAX_STRING_FIELDS; s++)
    for (int e = 0; e < RECENT_ENTRIES; e++) recentKeys[s][e].storedLength = 0;
  double power = 1;
  for (int k = 0; k < 23; k++, power *= 10) exactPowersOfTen[k] = power;
  hasSecondsPrefix = 0;
  return 1;
}

/* The longest string remember() copies, and the longest seconds prefix setSecondsPrefix() takes. */
__attribute__((export_name("maxRecentBytes"))) int maxRecentBytes(void) { return MAX_RECENT_BYTES; }
__attribute__((export_name("maxSecondsPrefix"))) int maxSecondsPrefix(void) { return MAX_SECONDS_PREFIX; }

/* The seconds prefix the JavaScript scanner last parsed ('2026-11-26T19:40:20') and its epoch microseconds. */
__attribute__((export_name("setSecondsPrefix"))) void setSecondsPrefix(const u8 *prefix, int length, double micros) {
  if (length > MAX_SECONDS_PREFIX) {
    hasSecondsPrefix = 0;
    return;
  }
  for (int k = 0; k < length; k++) secondsPrefix[k] = prefix[k];
  secondsPrefixLength = length;
  secondsPrefixMicros = micros;
  hasSecondsPrefix = 1;
}

/* RecentStrings of string field `field` now holds bytes[0, length) in `entry`. */
__attribute__((export_name("remember"))) void remember(int field, int entry, const u8 *bytes, int length) {
  if (entry < 0 || entry >= RECENT_ENTRIES) return;
  RecentKey *key = &recentKeys[stringSlots[field]][entry];
  if (length > MAX_RECENT_BYTES) {
    key->storedLength = 0;
    return;
  }
  for (int k = 0; k < length; k++) key->bytes[k] = bytes[k];
  key->storedLength = length + 1;
}

/* `[1-9][0-9]*` up to max (readPositiveInteger): the position after it, or -1. */
static int readPositiveInteger(const u8 *b, int i, int end, uint64_t max, double *out) {
  if (i >= end || b[i] < '1' || b[i] > '9') return -1;
  uint64_t value = b[i++] - '0';
  for (; i < end && b[i] >= '0' && b[i] <= '9'; i++) {
    value = value * 10 + (b[i] - '0');
    if (value > max) return -1;
  }
  *out = (double)value;
  return i;
}

/*
 * `(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 22 decimals and its digits below 2^53: the one
 * division readUnsignedDecimal does. Other numbers are refused (the JavaScript reads them).
 */
static int readUnsignedDecimal(const u8 *b, int i, int end, double *out) {
  if (i >= end || b[i] < '0' || b[i] > '9') return -1;
  uint64_t mantissa = 0;
  if (b[i] == '0') {
    i++;
  } else {
    for (; i < end && b[i] >= '0' && b[i] <= '9'; i++) {
      mantissa = mantissa * 10 + (b[i] - '0');
      if (mantissa > (uint64_t)MAX_SAFE_INTEGER) return -1;
    }
  }
  int decimals = 0;
  if (i < end && b[i] == '.') {
    int from = ++i;
    for (; i < end && b[i] >= '0' && b[i] <= '9'; i++) {
      mantissa = mantissa * 10 + (b[i] - '0');
      if (mantissa > (uint64_t)MAX_SAFE_INTEGER) return -1;
    }
    decimals = i - from;
    if (decimals == 0 || decimals > 22) return -1;
  }
  *out = (double)mantissa / exactPowersOfTen[decimals];
  return i;
}

/*
 * An event time of the current second, from its opening quote: readTimestamp's shortcut (the
 * seconds prefix, then utcTailMicros' UTC tail), the position after its closing quote, or -1.
 */
static int readTimestamp(const u8 *b, int i, int end, double *out) {
  if (!hasSecondsPrefix || i >= end || b[i] != '"') return -1;
  i++;
  if (i + secondsPrefixLength > end) return -1;
  for (int k = 0; k < secondsPrefixLength; k++)
    if (b[i + k] != secondsPrefix[k]) return -1;
  i += secondsPrefixLength;
  double micros = 0;
  if (i < end && b[i] == '.') {
    int from = ++i;
    for (; i < end && i - from < 9 && b[i] >= '0' && b[i] <= '9'; i++)
      if (i - from < 6) micros = micros * 10 + (b[i] - '0');
    if (i == from) return -1;
    if (i - from < 6) micros *= exactPowersOfTen[6 - (i - from)];
  }
  if (i < end && b[i] == 'Z') i++;
  if (i >= end || b[i] != '"') return -1;
  double total = secondsPrefixMicros + micros;
  if (total > MAX_SAFE_INTEGER || total < -MAX_SAFE_INTEGER) return -1;
  *out = total;
  return i + 1;
}

/* The RecentStrings entry of string field `field` that holds bytes[0, length), hashed `hash`, or -1. */
static int32_t recentEntry(int field, const u8 *bytes, int length, uint32_t hash) {
  int entry = (int)((hash ^ (hash >> 15)) & (RECENT_ENTRIES - 1)); /* RecentStrings.entryOf */
  const RecentKey *key = &recentKeys[stringSlots[field]][entry];
  if (key->storedLength != length + 1) return -1;
  for (int k = 0; k < length; k++)
    if (key->bytes[k] != bytes[k]) return -1;
  return entry;
}

/*
 * A string of field `field`, from its opening quote (skipString): its span, FNV-1a hash and
 * RecentStrings entry (recentEntry) into span[0..3], the position after its closing quote, or -1
 * on a control character. An escape is skipped whole (an escaped quote does not end the string);
 * the decoder checks it when the string is not a recent one.
 */
static int readString(const u8 *b, int i, int end, int bias, int field, int32_t *span) {
  if (i >= end || b[i] != '"') return -1;
  int start = ++i;
  uint32_t hash = 0x811c9dc5u;
  for (; i < end; i++) {
    u8 c = b[i];
    if (c == '"') {
      span[0] = start + bias;
      span[1] = i + bias;
      span[2] = (int32_t)hash;
      span[3] = recentEntry(field, b + start, i - start, hash);
      return i + 1;
    }
    if (c < 0x20) return -1;
    if (c == '\\') {
      hash = (hash ^ c) * 0x01000193u;
      if (++i >= end) return -1;
      c = b[i];
      if (c < 0x20) return -1;
    }
    hash = (hash ^ c) * 0x01000193u;
  }
  return -1;
}

/* One payload, bytes [i, end): 1 when it is in the layout and every value reads, else 0. */
static int scanRow(const u8 *b, int i, int end, int bias, double *numbers, int32_t *spans) {
  for (int f = 0; f < fieldCount; f++) {
    const u8 *prefix = prefixes[f];
    int length = prefixLengths[f];
    if (i + length > end) return 0;
    for (int k = 0; k < length; k++)
      if (b[i + k] != prefix[k]) return 0;
    i += length;
    switch (readers[f]) {
      case READ_LONG:
      case READ_INT32:
        i = readPositiveInteger(b, i, end, maxima[f], &numbers[f]);
        break;
      case READ_DOUBLE:
        i = readUnsignedDecimal(b, i, end, &numbers[f]);
        break;
      case READ_TIMESTAMP:
        i = readTimestamp(b, i, end, &numbers[f]);
        break;
      default:
        i = readString(b, i, end, bias, f, &spans[4 * f]);
    }
    if (i < 0) return 0;
  }
  const u8 *suffix = prefixes[fieldCount];
  int length = prefixLengths[fieldCount];
  if (i + length != end) return 0;
  for (int k = 0; k < length; k++)
    if (b[i + k] != suffix[k]) return 0;
  return 1;
}

/*
 * Scans rows [from, count): row r's payload is bytes[starts[r] - bias, + lengths[r]) (a negative
 * length is a null value). Its numbers land in numbers[r * fieldCount + field], its strings'
 * spans (as starts[] counts them), hashes and entries in spans[4 * (r * fieldCount + field) + 0..3].
 * Stops at the first row it refuses and returns its index (count when it took them all).
 */
__attribute__((export_name("scan"))) int scan(const u8 *bytes, int bias, const int32_t *starts, const int32_t *lengths, int from, int count,
                                               double *numbers, int32_t *spans) {
  for (int r = from; r < count; r++) {
    int start = starts[r] - bias;
    if (lengths[r] < 0 || !scanRow(bytes, start, start + lengths[r], bias, numbers + r * fieldCount, spans + 4 * r * fieldCount)) return r;
  }
  return count;
}
