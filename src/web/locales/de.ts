/** German, for Alto Adige: the frame and the welcome; the rest falls back to Italian. */
export const de = {
  brand: 'invito · Gesundheitsbehörde',
  signOut: 'Abmelden',
  nav: { campaigns: 'Kampagnen', newCampaign: 'Neue Kampagne', audit: 'Protokoll', queues: 'Warteschlangen', desk: 'Callcenter' },
  welcome: 'Willkommen, {{name}}',
  campaigns: { title: 'Kampagnen', none: 'Keine Kampagne in Ihrem Bereich.', id: 'Kampagne', name: 'Name', status: 'Status', recipients: 'Ausgewählt', progress: 'Fortschritt', today: 'Heute', target: 'Ziel', scope: 'Bereich' },
  status: { active: 'aktiv', paused: 'pausiert', cancelled: 'abgebrochen', completed: 'abgeschlossen' },
} as const;
