import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { getClient } from './api';
import { setClient } from './client';

setClient(getClient());
createApp(App).use(createPinia()).mount('#app');
