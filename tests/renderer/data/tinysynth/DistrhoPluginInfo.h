// A tiny DPF instrument for stretto's plugin-render tests: one sine per held note.
#ifndef DISTRHO_PLUGIN_INFO_H_INCLUDED
#define DISTRHO_PLUGIN_INFO_H_INCLUDED

#define DISTRHO_PLUGIN_BRAND "stretto"
#define DISTRHO_PLUGIN_NAME  "TinySynth"
#define DISTRHO_PLUGIN_URI   "urn:stretto:tinysynth"
#define DISTRHO_PLUGIN_CLAP_ID "org.stretto.tinysynth"

#define DISTRHO_PLUGIN_HAS_UI        0
#define DISTRHO_PLUGIN_IS_RT_SAFE    1
#define DISTRHO_PLUGIN_IS_SYNTH      1
#define DISTRHO_PLUGIN_NUM_INPUTS    0
#define DISTRHO_PLUGIN_NUM_OUTPUTS   2
#define DISTRHO_PLUGIN_WANT_PROGRAMS 0
#define DISTRHO_PLUGIN_WANT_STATE    0

#endif
