/** A server timestamp (ISO, UTC) in the reader's own time and format. */
export const when = (iso: string): string => new Date(/Z|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`).toLocaleString();
