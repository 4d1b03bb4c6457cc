/**
 * The message layer: templates per channel and language, the rendering context, and SMS
 * encoding and segment accounting.
 */
export { ageOn, buildContext, sampleContext } from './context.js';
export type { AppointmentInput, CitizenRecord, ContextInput, MessageContext } from './context.js';
export { formatDate, formatDateTime, formatTime } from './dates.js';
export type { DateStyle, TimeStyle } from './dates.js';
export { greeting, titlecase } from './names.js';
export type { GreetingStyle, GreetingSubject, Sex } from './names.js';
export { DEFAULT_SMS_OPTIONS, FALLBACK_LANGUAGE, loadTemplates } from './library.js';
export type {
  CheckRequest,
  RenderRequest,
  RenderedEmail,
  RenderedFor,
  RenderedMessage,
  RenderedSms,
  RenderedText,
  SmsOptions,
  TemplateLibrary,
} from './library.js';
export type { Channel, TemplateIssue } from './source.js';
export { DEFAULT_WHATSAPP_VARIABLES, contentFor, describeWhatsApp, renderWhatsApp } from './whatsapp.js';
export type { RenderedWhatsApp, WhatsAppContent, WhatsAppSettings } from './whatsapp.js';
export { SMS_LIMITS, analyseSms, isGsm7, transliterate } from './sms.js';
export type { SmsEncoding, SmsInfo } from './sms.js';
