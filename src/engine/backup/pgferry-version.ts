export const pgferryVersion = '0.1.0';
