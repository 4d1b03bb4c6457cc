/** The parser ships no types: it returns metric families as Prometheus's text format lists them. */
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
