// A tiny DPF instrument: a sine per held note (MIDI note on/off, any channel), a 5 ms attack
// and release, one "gain" parameter. Enough for pedalboard to render stems through a VST3.
#include "DistrhoPlugin.hpp"
#include <cmath>

START_NAMESPACE_DISTRHO

class TinySynth : public Plugin
{
public:
    TinySynth() : Plugin(1, 0, 0) {}

protected:
    const char* getLabel() const override { return "TinySynth"; }
    const char* getDescription() const override { return "One sine per held note"; }
    const char* getMaker() const override { return "stretto"; }
    const char* getLicense() const override { return "MIT"; }
    uint32_t getVersion() const override { return d_version(1, 0, 0); }
    int64_t getUniqueId() const override { return d_cconst('s', 't', 'T', 'S'); }

    void initParameter(uint32_t, Parameter& p) override
    {
        p.hints = kParameterIsAutomatable;
        p.name = "Gain";
        p.symbol = "gain";
        p.ranges.def = 0.3f;
        p.ranges.min = 0.0f;
        p.ranges.max = 1.0f;
    }

    float getParameterValue(uint32_t) const override { return fGain; }
    void setParameterValue(uint32_t, float v) override { fGain = v; }

    void activate() override
    {
        for (int i = 0; i < 128; ++i) { fLevel[i] = 0.0f; fTarget[i] = 0.0f; fPhase[i] = 0.0; }
    }

    void run(const float**, float** outputs, uint32_t frames,
             const MidiEvent* events, uint32_t eventCount) override
    {
        const double sr = getSampleRate();
        const float step = 1.0f / (0.005f * (float)sr);
        uint32_t next = 0;
        for (uint32_t f = 0; f < frames; ++f)
        {
            for (; next < eventCount && events[next].frame <= f; ++next)
            {
                const MidiEvent& ev = events[next];
                if (ev.size < 3) continue;
                const uint8_t kind = ev.data[0] & 0xF0, note = ev.data[1] & 0x7F;
                if (kind == 0x90 && ev.data[2] > 0) fTarget[note] = 1.0f;
                else if (kind == 0x80 || kind == 0x90) fTarget[note] = 0.0f;
                else if (kind == 0xB0 && (ev.data[1] == 123 || ev.data[1] == 120))
                    for (int i = 0; i < 128; ++i) fTarget[i] = 0.0f;
            }
            float out = 0.0f;
            for (int i = 0; i < 128; ++i)
            {
                if (fLevel[i] == 0.0f && fTarget[i] == 0.0f) continue;
                if (fLevel[i] < fTarget[i]) fLevel[i] = std::fmin(fTarget[i], fLevel[i] + step);
                else if (fLevel[i] > fTarget[i]) fLevel[i] = std::fmax(fTarget[i], fLevel[i] - step);
                const double hz = 440.0 * std::pow(2.0, (i - 69) / 12.0);
                fPhase[i] += hz / sr;
                fPhase[i] -= std::floor(fPhase[i]);
                out += fLevel[i] * (float)std::sin(2.0 * M_PI * fPhase[i]);
            }
            outputs[0][f] = outputs[1][f] = fGain * out;
        }
    }

private:
    float fGain = 0.3f;
    float fLevel[128] = {};
    float fTarget[128] = {};
    double fPhase[128] = {};

    DISTRHO_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(TinySynth)
};

Plugin* createPlugin() { return new TinySynth(); }

END_NAMESPACE_DISTRHO
