package dev.lotkeeper.app;

import android.Manifest;
import android.app.NativeActivity;
import android.content.BroadcastReceiver;
import android.content.Context;
import android.content.Intent;
import android.content.IntentFilter;
import android.content.pm.PackageManager;
import android.media.AudioManager;
import android.media.ToneGenerator;
import android.os.Build;
import android.os.Bundle;
import android.os.VibrationEffect;
import android.os.Vibrator;

import java.util.ArrayList;

/**
 * lotkeeper's activity: Slint draws everything from Rust (NativeActivity + android-activity);
 * this class only does what needs Java: receiving the built-in scanner's broadcast intents,
 * asking for the camera permission, and playing feedback tones and vibrations.
 */
public class MainActivity extends NativeActivity {
    /** The intent action the DataWedge profile (and Honeywell's data intent) sends scans with. */
    public static final String SCAN_ACTION = "dev.lotkeeper.app.SCAN";

    private static final String DW_DATA = "com.symbol.datawedge.decode_data";
    private static final String DW_STRING = "com.symbol.datawedge.data_string";
    private static final String DW_LABEL = "com.symbol.datawedge.label_type";
    private static final String HONEYWELL_BYTES = "dataBytes";
    private static final String HONEYWELL_DATA = "data";
    private static final String HONEYWELL_AIM = "aimId";
    private static final int CAMERA_REQUEST = 1;

    private ToneGenerator tones;

    static {
        System.loadLibrary("lotkeeper");
    }

    /** One scan, bytes intact (ASCII 29 included), into the Rust scan pipeline. */
    private static native void nativeOnScan(byte[] data, String labelType, String aimId);

    private final BroadcastReceiver scans = new BroadcastReceiver() {
        @Override
        public void onReceive(Context context, Intent intent) {
            deliver(intent);
        }
    };

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        tones = new ToneGenerator(AudioManager.STREAM_NOTIFICATION, 90);
        DataWedgeProfile.ensure(this);
    }

    @Override
    protected void onResume() {
        super.onResume();
        IntentFilter filter = new IntentFilter(SCAN_ACTION);
        filter.addCategory(Intent.CATEGORY_DEFAULT);
        if (Build.VERSION.SDK_INT >= 33) {
            // Scanners are other apps: the receiver must be exported to hear them.
            registerReceiver(scans, filter, Context.RECEIVER_EXPORTED);
        } else {
            registerReceiver(scans, filter);
        }
        HoneywellScanner.claim(this);
    }

    @Override
    protected void onPause() {
        unregisterReceiver(scans);
        HoneywellScanner.release(this);
        super.onPause();
    }

    /** DataWedge can also deliver by startActivity (singleTop): same handling. */
    @Override
    protected void onNewIntent(Intent intent) {
        super.onNewIntent(intent);
        if (SCAN_ACTION.equals(intent.getAction())) {
            deliver(intent);
        }
    }

    private static void deliver(Intent intent) {
        byte[] data = null;
        String label = intent.getStringExtra(DW_LABEL);
        String aim = intent.getStringExtra(HONEYWELL_AIM);
        @SuppressWarnings("unchecked")
        ArrayList<byte[]> parts = (ArrayList<byte[]>) intent.getSerializableExtra(DW_DATA);
        if (parts != null && !parts.isEmpty()) {
            // DataWedge: the decoded bytes of each symbol (one for a plain scan).
            int n = 0;
            for (byte[] p : parts) n += p.length;
            data = new byte[n];
            int at = 0;
            for (byte[] p : parts) {
                System.arraycopy(p, 0, data, at, p.length);
                at += p.length;
            }
        } else if (intent.getByteArrayExtra(HONEYWELL_BYTES) != null) {
            data = intent.getByteArrayExtra(HONEYWELL_BYTES);
        } else {
            String s = intent.getStringExtra(DW_STRING);
            if (s == null) s = intent.getStringExtra(HONEYWELL_DATA);
            if (s != null) data = s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        if (data != null && data.length > 0) {
            nativeOnScan(data, label, aim);
        }
    }

    /** Called from Rust: true when the camera may be used; otherwise asks (once per call). */
    public boolean ensureCameraPermission() {
        if (checkSelfPermission(Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            return true;
        }
        runOnUiThread(() -> requestPermissions(new String[] {Manifest.permission.CAMERA}, CAMERA_REQUEST));
        return false;
    }

    /** Called from Rust: 1 accepted, 2 needs more, 3 refused, 4 done. */
    public void feedback(int kind) {
        int tone;
        long[] pattern;
        switch (kind) {
            case 1: tone = ToneGenerator.TONE_PROP_ACK; pattern = new long[] {0, 40}; break;
            case 2: tone = ToneGenerator.TONE_PROP_PROMPT; pattern = new long[] {0, 40, 80, 40}; break;
            case 3: tone = ToneGenerator.TONE_PROP_NACK; pattern = new long[] {0, 300}; break;
            default: tone = ToneGenerator.TONE_PROP_BEEP2; pattern = new long[] {0, 60, 60, 60}; break;
        }
        if (tones != null) tones.startTone(tone, kind == 3 ? 400 : 150);
        Vibrator v = (Vibrator) getSystemService(Context.VIBRATOR_SERVICE);
        if (v != null && v.hasVibrator()) {
            if (Build.VERSION.SDK_INT >= 26) {
                v.vibrate(VibrationEffect.createWaveform(pattern, -1));
            } else {
                v.vibrate(pattern, -1);
            }
        }
    }

    @Override
    protected void onDestroy() {
        if (tones != null) tones.release();
        super.onDestroy();
    }
}
