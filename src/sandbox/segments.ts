/**
 * How many segments the provider bills for a body. The sandbox plays the provider, so it counts
 * on its own rather than calling invito's SMS accounting: a bug there must show up as a
 * disagreement with `num_segments`, not agree with itself.
 */

const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

/** Segments of `body`: GSM-7 (160, or 153 per part) when every character fits, else UCS-2 (70, or 67). */
export function countSegments(body: string): number {
  let septets = 0;
  let gsm = true;
  for (const ch of body) {
    if (GSM_BASIC.has(ch)) septets += 1;
    else if (GSM_EXTENSION.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return septets === 0 ? 1 : septets <= 160 ? 1 : Math.ceil(septets / 153);
  const units = body.length; // UTF-16 code units: an emoji costs two, as on the air
  return units <= 70 ? 1 : Math.ceil(units / 67);
}
